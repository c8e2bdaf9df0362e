import type { BroadcastChannelLike, ChannelListener, LockManagerLike } from '../../src/index.ts'

function abortError(): Error {
  return new DOMException('The lock request was aborted', 'AbortError')
}

interface Holder {
  readonly reject: (error: unknown) => void
  released: boolean
}

interface Waiter {
  readonly grant: () => void
}

/**
 * An in-memory Web Locks manager shared by simulated tabs: exclusive locks granted in request
 * order, `ifAvailable` (the callback gets `null` when the lock is held or queued), `signal`
 * (aborts a queued request with AbortError) and `steal` (releases the holder at once and rejects
 * its request with AbortError, while its callback keeps running), with the spec's option checks.
 */
export interface FakeLockManager extends LockManagerLike {
  readonly grants: number
  readonly steals: number
  isHeld(name: string): boolean
}

export function createFakeLockManager(): FakeLockManager {
  const holders = new Map<string, Holder>()
  const queues = new Map<string, Waiter[]>()
  let grants = 0
  let steals = 0

  const grantNext = (name: string) => {
    if (holders.has(name)) return
    const next = queues.get(name)?.shift()
    next?.grant()
  }

  const manager: FakeLockManager = {
    get grants() {
      return grants
    },
    get steals() {
      return steals
    },
    isHeld(name) {
      return holders.has(name)
    },
    request<T>(
      name: string,
      options: { ifAvailable?: boolean; signal?: AbortSignal; steal?: boolean },
      callback: (lock: unknown) => Promise<T>,
    ): Promise<T> {
      if (options.steal === true && options.ifAvailable === true) {
        return Promise.reject(new DOMException('steal with ifAvailable', 'NotSupportedError'))
      }
      if (
        options.signal !== undefined &&
        (options.steal === true || options.ifAvailable === true)
      ) {
        return Promise.reject(
          new DOMException('signal with steal/ifAvailable', 'NotSupportedError'),
        )
      }
      if (options.signal?.aborted === true) return Promise.reject(abortError())

      return new Promise<T>((resolve, reject) => {
        const run = () => {
          grants++
          const holder: Holder = { reject, released: false }
          holders.set(name, holder)
          const release = () => {
            if (holder.released) return
            holder.released = true
            if (holders.get(name) === holder) holders.delete(name)
            queueMicrotask(() => {
              grantNext(name)
            })
          }
          Promise.resolve()
            .then(() => callback({ name, mode: 'exclusive' }))
            .then(
              (value) => {
                release()
                resolve(value)
              },
              (error: unknown) => {
                release()
                reject(error instanceof Error ? error : new Error(String(error)))
              },
            )
        }

        if (options.steal === true) {
          const current = holders.get(name)
          if (current !== undefined) {
            steals++
            current.released = true
            holders.delete(name)
            current.reject(abortError())
          }
          run()
          return
        }
        const busy = holders.has(name) || (queues.get(name)?.length ?? 0) > 0
        if (options.ifAvailable === true && busy) {
          Promise.resolve()
            .then(() => callback(null))
            .then(resolve, reject)
          return
        }
        if (!busy) {
          run()
          return
        }
        const waiter: Waiter = {
          grant: () => {
            options.signal?.removeEventListener('abort', onAbort)
            run()
          },
        }
        const onAbort = () => {
          const queue = queues.get(name) ?? []
          const index = queue.indexOf(waiter)
          if (index >= 0) queue.splice(index, 1)
          reject(abortError())
        }
        options.signal?.addEventListener('abort', onAbort, { once: true })
        queues.set(name, [...(queues.get(name) ?? []), waiter])
      })
    },
  }
  return manager
}

/**
 * BroadcastChannels of one origin: a message posted on one channel reaches every other open
 * channel of the same name, structured-cloned, on a later macrotask (as in browsers, never to
 * the sender). `posted` keeps every message, for assertions.
 */
export interface FakeChannelHub {
  channel(name: string): BroadcastChannelLike & { readonly closed: boolean }
  readonly posted: readonly unknown[]
  /** Resolves once every message posted so far has been delivered. */
  settle(): Promise<void>
}

export function createFakeChannelHub(): FakeChannelHub {
  const open = new Set<{ name: string; listeners: Set<ChannelListener> }>()
  const posted: unknown[] = []
  let inTransit = Promise.resolve()
  return {
    posted,
    settle: async () => {
      await inTransit
      await new Promise((resolve) => setImmediate(resolve))
    },
    channel(name) {
      const self = { name, listeners: new Set<ChannelListener>() }
      open.add(self)
      let closed = false
      return {
        get closed() {
          return closed
        },
        postMessage(message) {
          if (closed) throw new DOMException('Channel is closed', 'InvalidStateError')
          posted.push(message)
          const data: unknown = structuredClone(message)
          const targets = [...open].filter((other) => other !== self && other.name === name)
          inTransit = inTransit.then(
            () =>
              new Promise<void>((resolve) => {
                setImmediate(() => {
                  for (const target of targets) {
                    if (!open.has(target)) continue
                    for (const listener of target.listeners) listener({ data })
                  }
                  resolve()
                })
              }),
          )
        },
        addEventListener(_type, listener) {
          self.listeners.add(listener)
        },
        removeEventListener(_type, listener) {
          self.listeners.delete(listener)
        },
        close() {
          closed = true
          open.delete(self)
        },
      }
    },
  }
}
