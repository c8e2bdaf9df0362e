import {
  createTRPCClient,
  createTRPCUntypedClient,
  getUntypedClient,
  httpBatchLink,
  httpLink,
  type TRPCClient,
  type TRPCLink,
} from '@trpc/client'
import type { AnyRouter } from '@trpc/server'

import { authLink, type SessionStore } from './auth-link.ts'
import type { BroadcastChannelLike, CrossTabOptions, LockManagerLike } from './cross-tab-options.ts'
import { authChallengeCode } from './internal/auth-challenge-code.ts'
import { batchLimits } from './internal/batch-limits.ts'
import {
  createCrossTab,
  SESSION_CHANNEL_NAME,
  type CrossTab,
  type CrossTabMessage,
} from './internal/cross-tab.ts'
import { httpStatusOf, trpcCodeOf } from './internal/http-status.ts'
import type { PlainJsonRouterCheck } from './internal/plain-json-router.ts'
import { callSafely } from './internal/report-callback-error.ts'
import { createServerClock } from './internal/server-clock.ts'
import { validStoredTokens } from './internal/stored-tokens.ts'
import { MAX_TIMER_DELAY_MS, systemClock, systemTimers } from './internal/timers.ts'
import {
  parseIssuedTokens,
  parseRegisteredUser,
  type IssuedTokens,
} from './internal/token-response.ts'
import { withoutAuthorization } from './internal/without-authorization.ts'
import { memoryStorage, type StoredTokens, type TokenStorage } from './memory-storage.ts'
import type { Clock, Timers } from './timers.ts'
import { WardenClientError } from './warden-client-error.ts'

/** Options of {@link createWardenClient}. */
export interface WardenClientOptions<TRouter extends AnyRouter> {
  /** The server's base URL; the tRPC endpoint is `<url>/trpc`. */
  readonly url: string
  /**
   * `bearer`: both tokens are held by this client (in `storage`). `cookie`: the refresh token
   * lives only in the server's HttpOnly cookie and the access token only in memory (browsers).
   */
  readonly transport: 'bearer' | 'cookie'
  /**
   * Where a bearer client keeps its tokens; `memoryStorage()` by default. Refused (TypeError)
   * with the cookie transport, whose access token must never be persisted by JavaScript.
   */
  readonly storage?: TokenStorage | undefined
  /** The `fetch` to use; the global one by default. */
  readonly fetch?: typeof fetch | undefined
  /**
   * Told once when the session ends without this client's `logout()`: the server refused the
   * refresh (`reason` is its code: `refresh_reused`, `refresh_revoked`, `refresh_expired`,
   * `invalid_refresh_token`, or `unauthorized` for a bare 401), or another tab ended it.
   */
  readonly onSessionExpired?: ((reason: string) => void) | undefined
  /** Told the auth code of every procedure call that finally fails with one (see `authLink`). */
  readonly onAuthFailure?: ((code: string) => void) | undefined
  /** Extra request headers, computed per request. An `Authorization` entry is ignored. */
  readonly headers?: (() => Record<string, string> | Promise<Record<string, string>>) | undefined
  /**
   * Refresh ahead of expiry: at `beforeExpiryMs` (default 60 000) plus a random share of
   * `jitterMs` (default 5000) before it, by the server's clock; never later than half-way
   * through the token's remaining life. Off by default.
   */
  readonly proactiveRefresh?:
    | false
    | { readonly beforeExpiryMs?: number | undefined; readonly jitterMs?: number | undefined }
    | undefined
  /**
   * Coordinate refreshes between tabs (cookie transport only; TypeError with bearer). Default:
   * on when `navigator.locks` exists.
   */
  readonly crossTab?: boolean | CrossTabOptions | undefined
  /** Links to run before Warden's auth link (logging, tracing). They must not terminate. */
  readonly links?: readonly TRPCLink<TRouter>[] | undefined
  /**
   * Batch limits for `httpBatchLink`. `maxItems` is 50 by default, the Warden server's limit
   * (`MAX_BATCH_SIZE`); set it to your server's `maxBatchSize` if that differs.
   */
  readonly batch?:
    | { readonly maxItems?: number | undefined; readonly maxURLLength?: number | undefined }
    | undefined
  /** The device clock; `Date.now` by default. */
  readonly clock?: Clock | undefined
  /** Timers for proactive refresh and lock timeouts; the global ones (unref'd) by default. */
  readonly timers?: Timers | undefined
}

/** What the session looks like now. */
export interface SessionSnapshot {
  /** Whether an access token is held (it may be expired; the next call refreshes it). */
  readonly isAuthenticated: boolean
  /**
   * When the access token expires, in epoch milliseconds on **this device's** clock (the
   * server's expiry corrected by the measured clock offset), or `null`.
   */
  readonly expiresAt: number | null
}

/** The live session of a `WardenClient`. */
export interface WardenSession extends SessionSnapshot {
  /** Calls `listener` after every change (login, refresh, logout, another tab); returns unsubscribe. */
  readonly subscribe: (listener: (session: SessionSnapshot) => void) => () => void
}

/** Input of `WardenClient.login`. */
export interface LoginInput {
  readonly email: string
  readonly password: string
}

/** Input of `WardenClient.register`. */
export interface RegisterInput {
  readonly email: string
  readonly password: string
  readonly name?: string | undefined
}

/** The answer of `WardenClient.register`. */
export interface RegisteredUser {
  readonly user: { readonly id: string; readonly email: string }
}

/** The outcome of `WardenClient.logout`: local state is cleared in both cases. */
export type LogoutResult =
  { readonly revoked: true } | { readonly revoked: false; readonly error: unknown }

/** A typed Warden API client with its session. */
export interface WardenClient<TRouter extends AnyRouter> {
  /** The typed tRPC client: every procedure of `TRouter`, refreshed transparently. */
  readonly api: TRPCClient<TRouter>
  /**
   * Signs in (`auth.login`) and holds the new session. Rejects with the server's error as a
   * `TRPCClientError` (`authErrorOf(e)`: `invalid_credentials`, `rate_limited`), or
   * `WardenClientError` `invalid_response`.
   */
  readonly login: (input: LoginInput) => Promise<void>
  /**
   * Ends the session: asks the server to revoke it (`auth.logout`), then clears local state and
   * tells other tabs whatever the server answered. Rejects only if the storage cannot be cleared.
   */
  readonly logout: () => Promise<LogoutResult>
  /** Creates an account (`auth.register`); does not sign in. */
  readonly register: (input: RegisterInput) => Promise<RegisteredUser>
  /**
   * Refreshes now, sharing any refresh already under way. With cookies, call it at start-up to
   * restore the session from the cookie. Rejects with `WardenClientError`: `session_expired`
   * (session cleared), `not_authenticated`, `refresh_failed` (session kept), `invalid_response`.
   */
  readonly refresh: () => Promise<void>
  /** The session's state. */
  readonly session: WardenSession
  /** Stops the proactive-refresh timer and closes the cross-tab channel. */
  readonly close: () => void
}

// How long a tab that queued behind another tab's refresh waits for its outcome message.
const OUTCOME_WAIT_MS = 1000

const REFRESH_REFUSALS: ReadonlySet<string> = new Set([
  'invalid_refresh_token',
  'refresh_reused',
  'refresh_expired',
  'refresh_revoked',
])

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a finite number of milliseconds, at least 0`)
  }
  return value
}

function defaultLocks(): LockManagerLike | undefined {
  const navigator: unknown = (globalThis as { navigator?: unknown }).navigator
  if (typeof navigator !== 'object' || navigator === null || !('locks' in navigator)) {
    return undefined
  }
  const locks: unknown = navigator.locks
  if (typeof locks !== 'object' || locks === null || !('request' in locks)) return undefined
  return typeof locks.request === 'function' ? (locks as LockManagerLike) : undefined
}

function defaultChannel(): BroadcastChannelLike | undefined {
  if (typeof globalThis.BroadcastChannel !== 'function') return undefined
  const channel = new globalThis.BroadcastChannel(SESSION_CHANNEL_NAME)
  // Node's BroadcastChannel holds the event loop open unless unref'd.
  const unref: unknown = (channel as { unref?: unknown }).unref
  if (typeof unref === 'function') unref.call(channel)
  return channel as unknown as BroadcastChannelLike
}

function resolveCrossTab(
  option: boolean | CrossTabOptions | undefined,
): { locks?: LockManagerLike; channel?: BroadcastChannelLike; lockTimeoutMs: number } | undefined {
  if (option === false) return undefined
  const given = typeof option === 'object' ? option : {}
  const locks = given.locks === undefined ? defaultLocks() : (given.locks ?? undefined)
  // Without a lock the channel alone cannot keep two tabs from refreshing together; by default
  // cross-tab mode is on only where the Web Locks API exists.
  if (option === undefined && locks === undefined) return undefined
  const channel = given.channel === undefined ? defaultChannel() : (given.channel ?? undefined)
  if (locks === undefined && channel === undefined) return undefined
  const lockTimeoutMs = nonNegative(given.lockTimeoutMs, 5000, 'crossTab.lockTimeoutMs')
  return {
    ...(locks === undefined ? {} : { locks }),
    ...(channel === undefined ? {} : { channel }),
    lockTimeoutMs,
  }
}

/**
 * Creates a typed client of a Warden server (or any tRPC v11 server that speaks Warden's wire
 * contract): `api` is the tRPC client, typed from the router type alone, with an `authLink` in
 * front of an `httpBatchLink` whose `Authorization` header is computed per request. An
 * `expired_token` challenge triggers one shared refresh (`auth.refresh`) and one replay per call.
 *
 * Throws `TypeError` at once on misuse: an empty `url`, an unknown `transport`, a `storage` with
 * the cookie transport, `crossTab` with the bearer transport, negative durations, no `fetch`.
 *
 * @example
 * ```ts
 * import type { AppRouter } from '@warden/api'
 * import { createWardenClient } from '@warden/client'
 *
 * const warden = createWardenClient<AppRouter>({
 *   url: 'https://api.example.com',
 *   transport: 'cookie',
 *   proactiveRefresh: { beforeExpiryMs: 60_000 },
 *   onSessionExpired: () => router.navigate('/login'),
 * })
 * await warden.refresh().catch(() => undefined) // restore a session from the cookie, if any
 * await warden.login({ email, password })
 * const me = await warden.api.system.whoami.query()
 * ```
 */
export function createWardenClient<TRouter extends AnyRouter>(
  options: WardenClientOptions<TRouter> & PlainJsonRouterCheck<TRouter>,
): WardenClient<TRouter> {
  const { transport } = options
  if (typeof options.url !== 'string' || options.url === '') {
    throw new TypeError('url must be the server URL')
  }
  const transportOption: unknown = transport
  if (transportOption !== 'bearer' && transportOption !== 'cookie') {
    throw new TypeError("transport must be 'bearer' or 'cookie'")
  }
  if (transport === 'cookie' && options.storage !== undefined) {
    throw new TypeError(
      'The cookie transport keeps the access token in memory only; a storage cannot be used with it',
    )
  }
  if (transport === 'bearer' && options.crossTab !== undefined && options.crossTab !== false) {
    throw new TypeError('crossTab coordinates the refresh cookie; it needs the cookie transport')
  }
  const baseFetch = options.fetch ?? globalThis.fetch
  if (typeof baseFetch !== 'function') throw new TypeError('No fetch is available; pass one')
  const proactive =
    options.proactiveRefresh === undefined || options.proactiveRefresh === false
      ? undefined
      : {
          beforeExpiryMs: nonNegative(
            options.proactiveRefresh.beforeExpiryMs,
            60_000,
            'proactiveRefresh.beforeExpiryMs',
          ),
          jitterMs: nonNegative(
            options.proactiveRefresh.jitterMs,
            5000,
            'proactiveRefresh.jitterMs',
          ),
        }
  const crossTabSettings = transport === 'cookie' ? resolveCrossTab(options.crossTab) : undefined
  const storage = options.storage ?? memoryStorage()
  const clock = options.clock ?? systemClock
  const timers = options.timers ?? systemTimers
  const bearer = transport === 'bearer'
  const trpcUrl = `${options.url.replace(/\/+$/, '')}/trpc`

  let tokens: StoredTokens | null = null
  // Bumped on every change of `tokens`: a refresh that waited for another tab's lock learns
  // from it that the session moved on meanwhile.
  let epoch = 0
  let lastEnd: { readonly reason: string; readonly expired: boolean } | undefined
  let timer: { handle: unknown } | undefined
  let closed = false
  let inflight: Promise<void> | undefined
  const listeners = new Set<(session: SessionSnapshot) => void>()

  const serverClock = createServerClock(clock, () => {
    schedule()
  })

  const observingFetch: typeof fetch = async (input, init) => {
    const response = await baseFetch(input, init)
    // Only the server's own answers: an error page from a proxy may come from another clock.
    if (response.ok) serverClock.observe(response.headers.get('date'))
    return response
  }
  // The refresh cookie is only sent, and a Set-Cookie only stored, for credentialed requests.
  const credentialedFetch: typeof fetch = bearer
    ? observingFetch
    : (input, init) => observingFetch(input, { ...init, credentials: 'include' })
  // tRPC types its fetch's init structurally (`RequestInitEsque`, whose `signal?: AbortSignal`
  // is no RequestInit under exactOptionalPropertyTypes); its links pass a real RequestInit.
  const wardenFetch = (input: string | URL | Request, init?: object) =>
    credentialedFetch(input, init)

  const snapshot = (): SessionSnapshot => ({
    isAuthenticated: tokens !== null,
    expiresAt: tokens === null ? null : tokens.expiresAt - (serverClock.now() - clock.now()),
  })

  const notify = () => {
    const current = snapshot()
    for (const listener of [...listeners])
      callSafely(() => {
        listener(current)
      })
  }

  const cancelTimer = () => {
    if (timer !== undefined) timers.clearTimeout(timer.handle)
    timer = undefined
  }

  function schedule(): void {
    cancelTimer()
    if (proactive === undefined || tokens === null || closed) return
    const remaining = tokens.expiresAt - serverClock.now()
    if (remaining <= 0) return
    const lead = proactive.beforeExpiryMs + Math.random() * proactive.jitterMs
    // Never sooner than half the remaining life, or a token shorter-lived than the lead would be
    // refreshed in a tight loop; never beyond what setTimeout can count.
    const delay = Math.max(remaining - lead, remaining / 2)
    const capped = delay > MAX_TIMER_DELAY_MS
    const dueEpoch = epoch
    const entry: { handle: unknown } = { handle: undefined }
    entry.handle = timers.setTimeout(
      () => {
        if (timer !== entry) return
        timer = undefined
        if (capped) {
          schedule()
          return
        }
        // A refresh still settling may be the one that issued this very token: let it finish,
        // then refresh only if the token this timer was set for is still the current one.
        void (inflight ?? Promise.resolve())
          .catch(() => undefined)
          .then(() => {
            if (epoch !== dueEpoch || closed) return
            refresh().catch((error: unknown) => {
              // A transient failure keeps the session: try again later (half of what remains).
              if (error instanceof WardenClientError && error.code === 'refresh_failed') schedule()
            })
          })
      },
      Math.min(delay, MAX_TIMER_DELAY_MS),
    )
    timer = entry
  }

  const adopt = async (
    next: StoredTokens | null,
    effects: { readonly persist: boolean; readonly broadcast: boolean },
  ): Promise<void> => {
    const apply = () => {
      tokens = next
      epoch++
      schedule()
      notify()
      if (effects.broadcast && next !== null) {
        crossTab?.post({ type: 'tokens', accessToken: next.accessToken, expiresAt: next.expiresAt })
      }
    }
    if (!(effects.persist && bearer)) {
      apply()
      return
    }
    // Storage first, memory second: a refresh that re-reads the storage meanwhile then sees the
    // newer tokens there, never older ones. Memory follows even if the storage fails.
    try {
      await storage.set(next)
    } finally {
      apply()
    }
  }

  const endSession = async (
    reason: string,
    how: { readonly expired: boolean; readonly broadcast: boolean },
  ): Promise<void> => {
    const ended = tokens
    lastEnd = { reason, expired: how.expired }
    await adopt(null, { persist: true, broadcast: false })
    if (how.broadcast) {
      crossTab?.post({ type: 'ended', reason, accessToken: ended?.accessToken ?? null })
    }
    if (ended !== null && how.expired) {
      const onSessionExpired = options.onSessionExpired
      if (onSessionExpired !== undefined)
        callSafely(() => {
          onSessionExpired(reason)
        })
    }
  }

  const onCrossTabMessage = (message: CrossTabMessage) => {
    if (closed) return
    switch (message.type) {
      case 'tokens':
        // Keep the newest token if two refreshes crossed (after a stolen lock).
        if (tokens === null || message.expiresAt >= tokens.expiresAt) {
          void adopt(
            { accessToken: message.accessToken, expiresAt: message.expiresAt },
            { persist: false, broadcast: false },
          )
        }
        return
      case 'failed':
        return
      case 'ended':
        // Only the session the sender saw: a tab whose restore failed before this one signed
        // in must not sign it out.
        if (tokens !== null && message.accessToken === tokens.accessToken) {
          void endSession(message.reason, { expired: true, broadcast: false })
        }
        return
    }
  }

  const crossTab: CrossTab | undefined =
    crossTabSettings === undefined
      ? undefined
      : createCrossTab({
          scope: trpcUrl,
          locks: crossTabSettings.locks,
          channel: crossTabSettings.channel,
          lockTimeoutMs: crossTabSettings.lockTimeoutMs,
          outcomeWaitMs: OUTCOME_WAIT_MS,
          timers,
          onMessage: onCrossTabMessage,
        })

  const readStorage = async (): Promise<StoredTokens | null> => {
    try {
      return validStoredTokens(await storage.get())
    } catch {
      return null
    }
  }

  let loaded: Promise<void> = Promise.resolve()
  if (bearer) {
    const initial = (() => {
      try {
        return storage.get()
      } catch {
        return null
      }
    })()
    if (isThenable(initial)) {
      loaded = readStorage().then(async (stored) => {
        // A login that finished first wins over what was stored before it.
        if (epoch === 0 && stored !== null)
          await adopt(stored, { persist: false, broadcast: false })
      })
    } else {
      tokens = validStoredTokens(initial)
    }
  }

  const userHeaders = async (): Promise<Record<string, string>> =>
    options.headers === undefined ? {} : withoutAuthorization(await options.headers())

  const toStored = (issued: IssuedTokens): StoredTokens => ({
    accessToken: issued.accessToken,
    expiresAt: serverClock.now() + issued.expiresInMs,
    // With cookies the refresh token must never be kept by JavaScript, even if a misconfigured
    // server put it in the body.
    ...(bearer && issued.refreshToken !== undefined ? { refreshToken: issued.refreshToken } : {}),
  })

  // Login, register and refresh: no Authorization header, no batching with API calls, no user
  // links between them and the wire.
  const credentialClient = createTRPCUntypedClient<AnyRouter>({
    links: [httpLink({ url: trpcUrl, fetch: wardenFetch, headers: userHeaders })],
  })

  const endedError = (): WardenClientError =>
    lastEnd?.expired === true
      ? new WardenClientError('session_expired', 'The session has ended; sign in again', {
          reason: lastEnd.reason,
        })
      : new WardenClientError('not_authenticated', 'There is no session to refresh')

  const refreshFailure = async (error: unknown): Promise<WardenClientError> => {
    const code = authChallengeCode(error)
    const status = httpStatusOf(error)
    if ((code !== undefined && REFRESH_REFUSALS.has(code)) || status === 401) {
      const reason = code ?? 'unauthorized'
      await endSession(reason, { expired: true, broadcast: true })
      return new WardenClientError('session_expired', 'The session has ended; sign in again', {
        reason,
        status,
        cause: error,
      })
    }
    const reason =
      code ?? trpcCodeOf(error) ?? (status === undefined ? 'network_error' : `http_${status}`)
    return new WardenClientError('refresh_failed', 'The session could not be refreshed', {
      reason,
      status,
      cause: error,
    })
  }

  const refreshNow = async (startEpoch: number): Promise<void> => {
    if (epoch !== startEpoch) {
      // Another tab refreshed or ended the session while this one waited for the lock.
      if (tokens !== null) return
      throw endedError()
    }
    let input: { refreshToken?: string } = {}
    if (bearer) {
      const stored = await readStorage()
      // A storage shared with another instance that already rotated or signed out: follow it.
      if (stored !== null && stored.accessToken !== tokens?.accessToken) {
        await adopt(stored, { persist: false, broadcast: false })
        return
      }
      if (stored === null && tokens !== null) {
        await endSession('logged_out', { expired: true, broadcast: false })
        throw endedError()
      }
      if (stored?.refreshToken === undefined) {
        throw new WardenClientError('not_authenticated', 'No refresh token is held')
      }
      input = { refreshToken: stored.refreshToken }
    }
    const sentAt = epoch
    let issued: IssuedTokens
    try {
      issued = parseIssuedTokens(
        await credentialClient.mutation('auth.refresh', input),
        'auth.refresh',
      )
    } catch (error) {
      const failure = error instanceof WardenClientError ? error : await refreshFailure(error)
      if (failure.code !== 'session_expired') crossTab?.post({ type: 'failed' })
      throw failure
    }
    // Signed out while the refresh was on the wire: do not bring the session back.
    if (epoch !== sentAt && tokens === null) throw endedError()
    await adopt(toStored(issued), { persist: true, broadcast: true })
  }

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      try {
        await loaded
        const startEpoch = epoch
        const work = () => refreshNow(startEpoch)
        await (crossTab === undefined ? work() : crossTab.exclusive(work))
      } finally {
        inflight = undefined
      }
    })()
    return inflight
  }

  const session: SessionStore = {
    get accessToken() {
      return tokens?.accessToken ?? null
    },
  }

  const api = createTRPCClient<TRouter>({
    links: [
      ...(options.links ?? []),
      authLink<TRouter>({ session, refresh, onAuthFailure: options.onAuthFailure }),
      httpBatchLink<AnyRouter>({
        url: trpcUrl,
        fetch: wardenFetch,
        ...batchLimits(options.batch),
        headers: async () => {
          await loaded
          const headers = await userHeaders()
          if (tokens !== null) headers['authorization'] = `Bearer ${tokens.accessToken}`
          return headers
        },
      }),
    ],
  })
  const untypedApi = getUntypedClient(api)
  schedule()

  return {
    api,
    async login(input) {
      await loaded
      const answer = await credentialClient.mutation('auth.login', {
        email: input.email,
        password: input.password,
        transport,
      })
      const issued = parseIssuedTokens(answer, 'auth.login')
      lastEnd = undefined
      await adopt(toStored(issued), { persist: true, broadcast: true })
    },
    async logout() {
      await loaded
      const held = tokens
      let result: LogoutResult
      if (held === null) {
        result = {
          revoked: false,
          error: new WardenClientError('not_authenticated', 'There is no session to end'),
        }
      } else {
        try {
          await untypedApi.mutation(
            'auth.logout',
            held.refreshToken === undefined ? {} : { refreshToken: held.refreshToken },
          )
          result = { revoked: true }
        } catch (error) {
          result = { revoked: false, error }
        }
      }
      await endSession('logged_out', { expired: false, broadcast: true })
      return result
    },
    async register(input) {
      const answer = await credentialClient.mutation('auth.register', {
        email: input.email,
        password: input.password,
        ...(input.name === undefined ? {} : { name: input.name }),
      })
      return parseRegisteredUser(answer)
    },
    refresh,
    session: {
      get isAuthenticated() {
        return tokens !== null
      },
      get expiresAt() {
        return snapshot().expiresAt
      },
      subscribe(listener) {
        listeners.add(listener)
        return () => {
          listeners.delete(listener)
        }
      },
    },
    close() {
      closed = true
      cancelTimer()
      crossTab?.close()
    },
  }
}
