import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { Hono } from 'hono'

import { responseHeadersFor, type AppRouter } from '@warden/api'
import type { Clock, RemoteVerifier } from '@warden/auth'
import { createServiceClient } from '@warden/client'

import { createReportsContext } from './context.ts'
import { silentLogger, type Logger } from './logger.ts'
import { reportsRouter } from './router.ts'

/** What {@link createReportsApp} needs. */
export interface ReportsAppOptions {
  /** Verifies callers' tokens with Warden's JWKS (`createRemoteVerifier`, audience `warden-reports`). */
  readonly verifier: RemoteVerifier
  /** Warden's base URL; its tRPC API is at `<mainApiUrl>/trpc`. */
  readonly mainApiUrl: string
  /** Warden's token endpoint (from its RFC 8414 metadata). */
  readonly tokenUrl: string
  /** This service's OAuth client id and secret at Warden (client credentials). */
  readonly clientId: string
  readonly clientSecret: string
  /** The audience of Warden's API for this service's own tokens; default `warden-api`. */
  readonly apiAudience?: string | undefined
  /** The `fetch` for calls to Warden; the global one by default. */
  readonly fetch?: typeof fetch | undefined
  /** The device clock of the service client (when to renew its token); `Date.now` by default. */
  readonly clock?: Clock | undefined
  readonly logger?: Logger | undefined
}

const MAX_BATCH_SIZE = 10

function hasTokenInUrl(url: string): boolean {
  const query = url.indexOf('?')
  return query !== -1 && /[?&]access_token=/.test(url.slice(query))
}

/**
 * The reports service: a Hono app serving its tRPC router under `/trpc` (no transformer; the
 * same challenges and `error.data.authError` as Warden's API) and `GET /health`. It verifies
 * callers with Warden's public keys only, holds no signing key and no user's token beyond the
 * request, and reads Warden's API with its own client-credentials token (`invoices:read`).
 * No `listen` here: `main.node.ts` serves it, tests too.
 *
 * @throws TypeError when a URL, the client id or the secret is missing (from the service client)
 */
export function createReportsApp(options: ReportsAppOptions) {
  const logger = options.logger ?? silentLogger
  const warden = createServiceClient<AppRouter>({
    url: options.mainApiUrl,
    tokenUrl: options.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    audience: options.apiAudience ?? 'warden-api',
    scope: 'invoices:read',
    fetch: options.fetch,
    clock: options.clock,
  })
  const app = new Hono()

  app.use(async (c, next) => {
    await next()
    // Summaries are one tenant's data: never cached anywhere, never sniffed.
    c.res.headers.set('cache-control', 'no-store')
    c.res.headers.set('x-content-type-options', 'nosniff')
  })
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.all('/trpc/*', (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: reportsRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: () =>
        createReportsContext({
          verifier: options.verifier,
          warden,
          logger,
          request: {
            authorization: c.req.raw.headers.get('authorization'),
            tokenInUrl: hasTokenInUrl(c.req.url),
          },
        }),
      responseMeta: ({ errors }) => ({ headers: responseHeadersFor(errors) }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          logger.error('procedure failed', { path, error: error.message })
        }
      },
    }),
  )
  app.notFound((c) => c.json({ error: 'not_found' }, 404))
  app.onError((error, c) => {
    logger.error('unhandled error', { path: c.req.path, error: error.message })
    return c.json({ error: 'internal_error' }, 500)
  })
  return app
}

/** The reports app's type. */
export type ReportsApp = ReturnType<typeof createReportsApp>
