import type {
  BroadcastChannelLike,
  ChannelListener,
  LockManagerLike,
} from '../cross-tab-options.ts'
import type { Timers } from '../timers.ts'
import { isRecord } from './is-record.ts'

/** What one tab tells the others about the session they share through the refresh cookie. */
export type CrossTabMessage =
  | { readonly type: 'tokens'; readonly accessToken: string; readonly expiresAt: number }
  | { readonly type: 'ended'; readonly reason: string; readonly accessToken: string | null }
  /** A refresh failed for a transient reason: a tab waiting on it should try itself. */
  | { readonly type: 'failed' }

/** The lock and channel names: shared by every Warden client of an origin. */
export const REFRESH_LOCK_NAME = 'warden-refresh'
export const SESSION_CHANNEL_NAME = 'warden-session'
const PROTOCOL = 'warden-session/1'

function parseMessage(data: unknown, scope: string): CrossTabMessage | undefined {
  // Same-origin scripts share the channel: only our protocol, and only about our server.
  if (!isRecord(data) || data['protocol'] !== PROTOCOL || data['scope'] !== scope) return undefined
  const { type, accessToken, expiresAt, reason } = data
  if (type === 'tokens') {
    if (typeof accessToken !== 'string' || accessToken === '') return undefined
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return undefined
    return { type, accessToken, expiresAt }
  }
  if (type === 'ended') {
    if (typeof reason !== 'string') return undefined
    if (accessToken !== null && typeof accessToken !== 'string') return undefined
    return { type, reason, accessToken }
  }
  if (type === 'failed') return { type }
  return undefined
}

/** Refresh coordination between the tabs of one origin. */
export interface CrossTab {
  /**
   * Runs `work` while holding the origin-wide refresh lock (see `createCrossTab`). Without a lock
   * manager, or when it fails, `work` runs unguarded.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>
  post(message: CrossTabMessage): void
  close(): void
}

const CONTENDED = Symbol('contended')

/**
 * Wires a lock manager and a channel (either may be missing) into a `CrossTab`.
 *
 * The protocol: a tab that must refresh first asks for the lock `ifAvailable`. Granted, it
 * refreshes and posts the outcome (`tokens`, `ended` or `failed`) before releasing. Refused,
 * another tab is refreshing: it queues for the lock, and once granted waits up to `outcomeWaitMs`
 * for the holder's outcome message, because a lock grant and a channel message travel by
 * different routes and the grant may come first. `work` then sees that the session moved on and
 * skips the request. A lock still held after `lockTimeoutMs` is taken as abandoned (a frozen or
 * hung tab) and stolen; with no holder left to report, `work` runs at once.
 */
export function createCrossTab(options: {
  /** What the session is about (the server's tRPC URL); messages about others are ignored. */
  readonly scope: string
  readonly locks: LockManagerLike | undefined
  readonly channel: BroadcastChannelLike | undefined
  readonly lockTimeoutMs: number
  readonly outcomeWaitMs: number
  readonly timers: Timers
  readonly onMessage: (message: CrossTabMessage) => void
}): CrossTab {
  const { scope, locks, channel, lockTimeoutMs, outcomeWaitMs, timers, onMessage } = options
  let received = 0
  const waiters = new Set<() => void>()

  const listener: ChannelListener = (event) => {
    const message = parseMessage(event.data, scope)
    if (message === undefined) return
    received++
    onMessage(message)
    for (const wake of [...waiters]) wake()
  }
  channel?.addEventListener('message', listener)

  const nextMessage = (since: number): Promise<void> => {
    if (channel === undefined || received !== since) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        waiters.delete(done)
        timers.clearTimeout(timer)
        resolve()
      }
      const timer = timers.setTimeout(done, outcomeWaitMs)
      waiters.add(done)
    })
  }

  return {
    async exclusive<T>(work: () => Promise<T>): Promise<T> {
      if (locks === undefined) return work()
      const seen = received
      let running: Promise<T> | undefined
      const run = (): Promise<T> => (running = work())

      try {
        const first = await locks.request<T | typeof CONTENDED>(
          REFRESH_LOCK_NAME,
          { ifAvailable: true },
          (lock) => (lock === null ? Promise.resolve(CONTENDED) : run()),
        )
        if (first !== CONTENDED) return first
      } catch {
        // Stolen while working: the work goes on and its outcome is still ours. Otherwise the
        // lock manager is unusable here (an opaque origin, say): go on without it.
        return running ?? run()
      }

      const timeout = new AbortController()
      const timer = timers.setTimeout(() => {
        timeout.abort()
      }, lockTimeoutMs)
      try {
        return await locks.request(REFRESH_LOCK_NAME, { signal: timeout.signal }, async () => {
          timers.clearTimeout(timer)
          await nextMessage(seen)
          return run()
        })
      } catch {
        timers.clearTimeout(timer)
        if (running !== undefined) return running
        if (!timeout.signal.aborted) return run()
        // Web Locks "steal": the holder's lock is released at once and its request rejects with
        // AbortError. Two tabs may then refresh together; the server's reuse interval
        // (REFRESH_REUSE_INTERVAL, longer than the default timeout) absorbs that overlap.
        return locks.request(REFRESH_LOCK_NAME, { steal: true }, run)
      }
    },
    post(message) {
      try {
        channel?.postMessage({ protocol: PROTOCOL, scope, ...message })
      } catch {
        // A closed channel (the client was closed) has no one left to tell.
      }
    },
    close() {
      channel?.removeEventListener('message', listener)
      channel?.close()
      for (const wake of [...waiters]) wake()
    },
  }
}
