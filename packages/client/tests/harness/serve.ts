import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request as it reached the server, after faults and before the app. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  /** Whether it is a tRPC batch (`?batch=1`). */
  readonly batch: boolean
  /** The tRPC procedures of the request (`/trpc/a,b?batch=1` → `['a', 'b']`). */
  readonly procedures: readonly string[]
  readonly headers: Headers
  readonly body: string
}

/** A synthetic answer given instead of the server's, for requests it matches. */
export interface Fault {
  matches(request: RecordedRequest): boolean
  respond(request: RecordedRequest): Response
}

/** Holds matching responses (already computed by the app) until released. */
export interface Gate {
  release(): void
  /** How many responses are held now. */
  readonly held: number
}

/** What reached the server, with helpers to count it. */
export interface Traffic {
  readonly requests: readonly RecordedRequest[]
  /** How many times `procedure` was called, counting each element of each batch. */
  calls(procedure: string): number
  /** How many HTTP requests carried `procedure`. */
  requestsFor(procedure: string): number
  clear(): void
}

/** A real HTTP server on 127.0.0.1 around a fetch handler, recording and perturbing traffic. */
export interface HttpHarness extends AsyncDisposable {
  readonly url: string
  readonly traffic: Traffic
  addFault(fault: Fault): () => void
  hold(matches: (request: RecordedRequest) => boolean): Gate
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function proceduresOf(path: string): string[] {
  if (!path.startsWith('/trpc/')) return []
  return decodeURIComponent(path.slice('/trpc/'.length)).split(',').filter(Boolean)
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: [string, string][] = []
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers.push([name, value])
  })
  for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie])
  res.writeHead(response.status, headers.flat())
  res.end(Buffer.from(await response.arrayBuffer()))
}

export async function serve(
  handler: (request: Request) => Promise<Response>,
): Promise<HttpHarness> {
  const requests: RecordedRequest[] = []
  const faults = new Set<Fault>()
  const gates = new Set<{
    matches: (r: RecordedRequest) => boolean
    waiting: (() => void)[]
    open: boolean
  }>()

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const headers = new Headers()
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
      }
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        batch: url.searchParams.get('batch') === '1',
        procedures: proceduresOf(url.pathname),
        headers,
        body,
      }
      requests.push(recorded)
      const fault = [...faults].find((candidate) => candidate.matches(recorded))
      const response =
        fault !== undefined
          ? fault.respond(recorded)
          : await handler(
              new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, {
                method: recorded.method,
                headers,
                ...(recorded.method === 'GET' || recorded.method === 'HEAD' ? {} : { body }),
              }),
            )
      for (const gate of gates) {
        if (!gate.open && gate.matches(recorded)) {
          await new Promise<void>((resolve) => gate.waiting.push(resolve))
        }
      }
      await writeResponse(res, response)
    })().catch((error: unknown) => {
      res.writeHead(500)
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const close = async () => {
    for (const gate of gates) for (const resolve of gate.waiting.splice(0)) resolve()
    server.closeAllConnections()
    await new Promise<void>((resolve, reject) => {
      server.close((error) => {
        if (error) reject(error)
        else resolve()
      })
    })
  }

  return {
    url: `http://127.0.0.1:${port}`,
    traffic: {
      requests,
      calls: (procedure) =>
        requests.reduce((sum, r) => sum + r.procedures.filter((p) => p === procedure).length, 0),
      requestsFor: (procedure) => requests.filter((r) => r.procedures.includes(procedure)).length,
      clear: () => {
        requests.length = 0
      },
    },
    addFault(fault) {
      faults.add(fault)
      return () => faults.delete(fault)
    },
    hold(matches) {
      const gate = { matches, waiting: [] as (() => void)[], open: false }
      gates.add(gate)
      return {
        release() {
          gate.open = true
          for (const resolve of gate.waiting.splice(0)) resolve()
        },
        get held() {
          return gate.waiting.length
        },
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
