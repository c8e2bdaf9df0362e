import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

/** How the proxy treats traffic right now. */
export type ProxyMode =
  | { readonly kind: 'pass' }
  /** Every open connection is reset; new ones are accepted and reset at once. */
  | { readonly kind: 'cut' }
  /** Connections stay open, but nothing is forwarded until the mode changes (a partition). */
  | { readonly kind: 'blackhole' }
  /**
   * Every chunk is forwarded `ms` later, in order (a slow network or an overloaded server);
   * `onlyToClient` delays only the answers, so a statement commits while its answer is in flight.
   */
  | { readonly kind: 'delay'; readonly ms: number; readonly onlyToClient: boolean }

/** A TCP proxy on 127.0.0.1 that a test can cut, blackhole, slow down and restore. */
export interface TcpProxy {
  readonly port: number
  /** Connections open through the proxy now. */
  readonly connections: number
  /** Connections accepted since the start. */
  readonly accepted: number
  cut(): void
  blackhole(): void
  delay(ms: number, options?: { onlyToClient?: boolean }): void
  /** Back to forwarding at once; data held by a blackhole or a delay is delivered, in order. */
  restore(): void
  close(): Promise<void>
}

interface Pipe {
  readonly from: Socket
  readonly to: Socket
  /** Chunks not yet forwarded, with the earliest time each may go. */
  readonly queue: { chunk: Buffer; due: number }[]
  timer: NodeJS.Timeout | undefined
}

/**
 * Starts a proxy from an ephemeral port on 127.0.0.1 to `target`. It never touches the server
 * behind it: an outage is simulated between the client and the server, so other suites using the
 * same PostgreSQL are unaffected.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = { kind: 'pass' }
  let accepted = 0
  const pairs = new Set<{ client: Socket; upstream: Socket; pipes: Pipe[] }>()

  const flush = (pipe: Pipe) => {
    clearTimeout(pipe.timer)
    pipe.timer = undefined
    if (mode.kind === 'blackhole' || mode.kind === 'cut') return
    const now = Date.now()
    while (pipe.queue.length > 0) {
      const head = pipe.queue[0]
      if (head === undefined) break
      if (head.due > now) {
        pipe.timer = setTimeout(() => flush(pipe), head.due - now)
        return
      }
      pipe.queue.shift()
      if (!pipe.to.destroyed) pipe.to.write(head.chunk)
    }
  }

  const wire = (from: Socket, to: Socket, toClient: boolean): Pipe => {
    const pipe: Pipe = { from, to, queue: [], timer: undefined }
    from.on('data', (chunk: Buffer) => {
      const wait = mode.kind === 'delay' && (toClient || !mode.onlyToClient) ? mode.ms : 0
      const last = pipe.queue.at(-1)?.due ?? 0
      pipe.queue.push({ chunk, due: Math.max(Date.now() + wait, last) })
      flush(pipe)
    })
    return pipe
  }

  const server = createServer((client) => {
    accepted += 1
    client.on('error', () => undefined)
    if (mode.kind === 'cut') {
      client.resetAndDestroy()
      return
    }
    const upstream = connect(target.port, target.host)
    upstream.on('error', () => undefined)
    const pair = {
      client,
      upstream,
      pipes: [wire(client, upstream, false), wire(upstream, client, true)],
    }
    pairs.add(pair)
    const end = () => {
      for (const pipe of pair.pipes) clearTimeout(pipe.timer)
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const setMode = (next: ProxyMode) => {
    mode = next
    for (const pair of pairs) {
      if (next.kind === 'cut') {
        pair.client.resetAndDestroy()
        pair.upstream.resetAndDestroy()
      } else {
        for (const pipe of pair.pipes) {
          if (next.kind === 'pass') for (const held of pipe.queue) held.due = 0
          flush(pipe)
        }
      }
    }
  }

  return {
    port,
    get connections() {
      return pairs.size
    },
    get accepted() {
      return accepted
    },
    cut: () => setMode({ kind: 'cut' }),
    blackhole: () => setMode({ kind: 'blackhole' }),
    delay: (ms, options) =>
      setMode({ kind: 'delay', ms, onlyToClient: options?.onlyToClient === true }),
    restore: () => setMode({ kind: 'pass' }),
    close: () =>
      new Promise<void>((resolve) => {
        setMode({ kind: 'cut' })
        server.close(() => resolve())
      }),
  }
}
