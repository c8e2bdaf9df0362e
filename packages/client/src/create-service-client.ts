import { createTRPCClient, httpBatchLink, type TRPCClient, type TRPCLink } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'

import { authLink } from './auth-link.ts'
import { batchLimits } from './internal/batch-limits.ts'
import { clientSecretBasic } from './internal/client-secret-basic.ts'
import { isRecord } from './internal/is-record.ts'
import type { PlainJsonRouterCheck } from './internal/plain-json-router.ts'
import { createServerClock } from './internal/server-clock.ts'
import { systemClock } from './internal/timers.ts'
import { withoutAuthorization } from './internal/without-authorization.ts'
import type { Clock } from './timers.ts'
import { WardenClientError } from './warden-client-error.ts'

/** Options of {@link createServiceClient}. */
export interface ServiceClientOptions<TRouter extends AnyRouter> {
  /** The API server's base URL; the tRPC endpoint is `<url>/trpc`. */
  readonly url: string
  /** The OAuth token endpoint, such as `https://auth.example.com/oauth/token`. */
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  /** The audience to request a token for (one of the client's allowed audiences). */
  readonly audience: string
  /** Narrows the client's allowed scope (space-separated). */
  readonly scope?: string | undefined
  /** The `fetch` to use; the global one by default. */
  readonly fetch?: typeof fetch | undefined
  /**
   * Renew the cached token this long before it expires, by the server's clock (default 30 000);
   * at most half of the token's lifetime.
   */
  readonly refreshBeforeExpiryMs?: number | undefined
  /** The device clock; `Date.now` by default. */
  readonly clock?: Clock | undefined
  /** Extra request headers for API calls, computed per request. An `Authorization` entry is ignored. */
  readonly headers?: (() => Record<string, string> | Promise<Record<string, string>>) | undefined
  /** Told the auth code of every procedure call that finally fails with one (see `authLink`). */
  readonly onAuthFailure?: ((code: string) => void) | undefined
  /** Links to run before Warden's auth link. They must not terminate. */
  readonly links?: readonly TRPCLink<TRouter>[] | undefined
  /**
   * Batch limits for `httpBatchLink`. `maxItems` is 50 by default, the Warden server's limit
   * (`MAX_BATCH_SIZE`); set it to your server's `maxBatchSize` if that differs.
   */
  readonly batch?:
    | { readonly maxItems?: number | undefined; readonly maxURLLength?: number | undefined }
    | undefined
}

/** A typed API client authenticated as an OAuth client (client credentials grant). */
export interface ServiceClient<TRouter extends AnyRouter> {
  /** The typed tRPC client; an `expired_token` challenge renews the token and replays once. */
  readonly api: TRPCClient<TRouter>
  /**
   * The current access token: cached until shortly before it expires, fetched once for all
   * concurrent callers. Rejects with `WardenClientError` `token_request_failed` (`reason`: the
   * RFC 6749 §5.2 `error`, such as `invalid_client`, or `network_error`) or `invalid_response`.
   */
  readonly getToken: () => Promise<string>
  /** Drops the cached token; the next call fetches a new one. */
  readonly invalidate: () => void
}

function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`${name} must be a non-empty string`)
  return value
}

/**
 * Creates a typed API client for a service (no user): it obtains access tokens from the OAuth
 * token endpoint with the client credentials grant (RFC 6749 §4.4), authenticating by HTTP Basic
 * (`client_secret_basic`), caches each until `refreshBeforeExpiryMs` before it expires by the
 * server's clock (learnt from `Date` headers), fetches them single-flight, and on an
 * `expired_token` challenge drops the token, fetches another and replays the call once.
 *
 * Throws `TypeError` at once on a missing `url`, `tokenUrl`, `clientId`, `clientSecret` or
 * `audience`, a negative `refreshBeforeExpiryMs`, or no `fetch`.
 *
 * @example
 * ```ts
 * import type { AppRouter } from '@warden/api'
 * import { createServiceClient } from '@warden/client'
 *
 * const service = createServiceClient<AppRouter>({
 *   url: 'https://api.example.com',
 *   tokenUrl: 'https://api.example.com/oauth/token',
 *   clientId: 'reports',
 *   clientSecret: secretFromVault,
 *   audience: 'warden-api',
 *   scope: 'invoices:read',
 * })
 * const invoices = await service.api.invoices.list.query()
 * ```
 */
export function createServiceClient<TRouter extends AnyRouter>(
  options: ServiceClientOptions<TRouter> & PlainJsonRouterCheck<TRouter>,
): ServiceClient<TRouter> {
  const url = requireText(options.url, 'url')
  const tokenUrl = requireText(options.tokenUrl, 'tokenUrl')
  const authorization = clientSecretBasic(
    requireText(options.clientId, 'clientId'),
    requireText(options.clientSecret, 'clientSecret'),
  )
  const audience = requireText(options.audience, 'audience')
  const scope = options.scope === undefined ? undefined : requireText(options.scope, 'scope')
  const refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? 30_000
  if (!Number.isFinite(refreshBeforeExpiryMs) || refreshBeforeExpiryMs < 0) {
    throw new TypeError('refreshBeforeExpiryMs must be a finite number of milliseconds, at least 0')
  }
  const baseFetch = options.fetch ?? globalThis.fetch
  if (typeof baseFetch !== 'function') throw new TypeError('No fetch is available; pass one')
  const serverClock = createServerClock(options.clock ?? systemClock)

  const observingFetch = async (input: string | URL | Request, init?: object) => {
    const response = await baseFetch(input, init)
    // Only the server's own answers: an error page from a proxy may come from another clock.
    if (response.ok) serverClock.observe(response.headers.get('date'))
    return response
  }

  let cached: { readonly token: string; readonly renewAt: number } | undefined
  let generation = 0
  let inflight: Promise<string> | undefined

  const requestToken = async (): Promise<string> => {
    const startGeneration = generation
    const body = new URLSearchParams({ grant_type: 'client_credentials', audience })
    if (scope !== undefined) body.set('scope', scope)
    let response: Response
    try {
      response = await observingFetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: body.toString(),
      })
    } catch (error) {
      throw new WardenClientError(
        'token_request_failed',
        'The token endpoint could not be reached',
        {
          reason: 'network_error',
          cause: error,
        },
      )
    }
    const json: unknown = await response.json().catch(() => undefined)
    if (!response.ok) {
      // RFC 6749 §5.2: `{ error, error_description? }`, `invalid_client` with 401.
      const error = isRecord(json) && typeof json['error'] === 'string' ? json['error'] : undefined
      const description =
        isRecord(json) && typeof json['error_description'] === 'string'
          ? `: ${json['error_description']}`
          : ''
      throw new WardenClientError(
        'token_request_failed',
        `The token endpoint refused the request (${error ?? `HTTP ${response.status}`})${description}`,
        { reason: error, status: response.status },
      )
    }
    if (!isRecord(json)) {
      throw new WardenClientError('invalid_response', "The token endpoint's answer is not JSON")
    }
    const { access_token: token, token_type: tokenType, expires_in: expiresIn } = json
    if (
      typeof token !== 'string' ||
      token === '' ||
      typeof tokenType !== 'string' ||
      // RFC 6749 §5.1: the token type is case-insensitive.
      tokenType.toLowerCase() !== 'bearer' ||
      typeof expiresIn !== 'number' ||
      !Number.isFinite(expiresIn) ||
      expiresIn <= 0
    ) {
      throw new WardenClientError('invalid_response', "The token endpoint's answer is malformed")
    }
    const lifetime = expiresIn * 1000
    // A margin of half the lifetime at most, or a short-lived token would never be reused.
    const renewAt = serverClock.now() + lifetime - Math.min(refreshBeforeExpiryMs, lifetime / 2)
    if (generation === startGeneration) cached = { token, renewAt }
    return token
  }

  const getToken = (): Promise<string> => {
    if (cached !== undefined && serverClock.now() < cached.renewAt) {
      return Promise.resolve(cached.token)
    }
    inflight ??= requestToken().finally(() => {
      inflight = undefined
    })
    return inflight
  }

  const invalidate = () => {
    cached = undefined
    generation++
  }

  const api = createTRPCClient<TRouter>({
    links: [
      ...(options.links ?? []),
      authLink<TRouter>({
        session: {
          get accessToken() {
            return cached?.token ?? null
          },
        },
        // A fetch already under way is newer than the rejected token. Otherwise mark the token
        // stale and fetch; it stays readable meanwhile, so operations failing with it in the
        // interval share this fetch instead of reading "no token" as "signed out".
        refresh: async () => {
          if (inflight === undefined && cached !== undefined) {
            cached = { token: cached.token, renewAt: Number.NEGATIVE_INFINITY }
          }
          await getToken()
        },
        onAuthFailure: options.onAuthFailure,
      }),
      httpBatchLink<AnyRouter>({
        url: `${url.replace(/\/+$/, '')}/trpc`,
        fetch: observingFetch,
        ...batchLimits(options.batch),
        headers: async () => {
          const headers =
            options.headers === undefined ? {} : withoutAuthorization(await options.headers())
          headers['authorization'] = `Bearer ${await getToken()}`
          return headers
        },
      }),
    ],
  })

  return { api, getToken, invalidate }
}
