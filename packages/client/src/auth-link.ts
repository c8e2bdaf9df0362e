import { TRPCClientError, type Operation, type TRPCLink } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { observable, type Unsubscribable } from '@trpc/server/observable'

import { authChallengeCode } from './internal/auth-challenge-code.ts'

/** What `authLink` needs to know about the credentials requests carry. */
export interface SessionStore {
  /**
   * The access token the next request will carry, or `null`. The link reads it when an operation
   * is sent and again when it fails: if it changed in between, another operation already
   * refreshed and the failed one is replayed without a second refresh.
   */
  readonly accessToken: string | null
}

/** Options of {@link authLink}. */
export interface AuthLinkOptions {
  /** The credentials the terminating link sends (it must compute its headers per request). */
  readonly session: SessionStore
  /**
   * Obtains new credentials. It must be single-flight: concurrent calls share one attempt. A
   * rejection fails every operation waiting on it with that error.
   */
  readonly refresh: () => Promise<void>
  /**
   * Told the auth code of every operation that finally fails with one (`revoked_token`,
   * `wrong_audience`, `insufficient_scope`, `missing_token`, an `expired_token` that survived
   * the replay, …), after the refresh-and-replay has been tried where it applies.
   */
  readonly onAuthFailure?: ((code: string) => void) | undefined
}

// Procedures that establish credentials: refreshing on their failure would loop or be meaningless.
const CREDENTIAL_PROCEDURES: ReadonlySet<string> = new Set([
  'auth.login',
  'auth.refresh',
  'auth.register',
])

function abortError(signal: AbortSignal): TRPCClientError<AnyRouter> {
  const reason: unknown = signal.reason
  return TRPCClientError.from(
    reason instanceof Error ? reason : new Error('The operation was aborted'),
  )
}

function asClientError(error: unknown): TRPCClientError<AnyRouter> {
  if (error instanceof TRPCClientError) return error as TRPCClientError<AnyRouter>
  return TRPCClientError.from(error instanceof Error ? error : new Error(String(error)))
}

/**
 * A tRPC link that answers an `expired_token` challenge by refreshing once and replaying the
 * operation once. Place it before the terminating HTTP link, which must compute its
 * `Authorization` header per request so the replay carries the new token.
 *
 * - Refreshes only on `expired_token`, read from `error.data.authError` or, failing that, from the
 *   401 response's `WWW-Authenticate: Bearer … error_description="expired_token"`. Every other
 *   401 and 403 passes through untouched.
 * - Each operation is replayed at most once; a replay that fails again surfaces its error.
 * - Never refreshes on `auth.login`, `auth.refresh` or `auth.register`; subscriptions pass through.
 * - Replaying a mutation is safe against Warden: authentication runs before any side effect.
 *
 * Failures of `refresh` reach the waiting operations as they are (a `WardenClientError` from the
 * Warden clients, such as `session_expired`).
 *
 * @example
 * ```ts
 * const api = createTRPCClient<AppRouter>({
 *   links: [
 *     authLink({ session: { get accessToken() { return store.token } }, refresh: refreshOnce }),
 *     httpBatchLink({ url, headers: () => ({ authorization: `Bearer ${store.token}` }) }),
 *   ],
 * })
 * ```
 */
export function authLink<TRouter extends AnyRouter>(options: AuthLinkOptions): TRPCLink<TRouter> {
  const { session, refresh, onAuthFailure } = options
  return () =>
    ({ op, next }) => {
      if (op.type === 'subscription' || CREDENTIAL_PROCEDURES.has(op.path)) return next(op)
      return observable((observer) => {
        let disposed = false
        let current: Unsubscribable | undefined

        const fail = (error: TRPCClientError<TRouter>) => {
          const code = authChallengeCode(error)
          if (code !== undefined) onAuthFailure?.(code)
          observer.error(error)
        }

        const replayAfterRefresh = (sentWith: string | null, failed: TRPCClientError<TRouter>) => {
          const now = session.accessToken
          // Same token as when sent (or none was known then, so the expired one came from a store
          // still loading): refresh. Another token now: another operation already refreshed, so
          // replay with it. No token now: signed out meanwhile, and the original error stands.
          const ready =
            now === sentWith || sentWith === null
              ? refresh()
              : now === null
                ? Promise.reject(failed)
                : Promise.resolve()
          const signal = op.signal
          const onAbort = () => {
            if (disposed || signal === null || signal === undefined) return
            disposed = true
            observer.error(abortError(signal) as TRPCClientError<TRouter>)
          }
          signal?.addEventListener('abort', onAbort, { once: true })
          ready.then(
            () => {
              signal?.removeEventListener('abort', onAbort)
              if (!disposed) send(op, true)
            },
            (error: unknown) => {
              signal?.removeEventListener('abort', onAbort)
              if (disposed) return
              if (error === failed) fail(failed)
              else observer.error(asClientError(error) as TRPCClientError<TRouter>)
            },
          )
        }

        const send = (operation: Operation, isReplay: boolean) => {
          const sentWith = session.accessToken
          current = next(operation).subscribe({
            next(envelope) {
              observer.next(envelope)
            },
            complete() {
              observer.complete()
            },
            error(error) {
              if (disposed) return
              if (!isReplay && authChallengeCode(error) === 'expired_token') {
                replayAfterRefresh(sentWith, error)
                return
              }
              fail(error)
            },
          })
        }

        send(op, false)
        return () => {
          disposed = true
          current?.unsubscribe()
        }
      })
    }
}
