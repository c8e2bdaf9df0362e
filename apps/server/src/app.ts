import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'

import type { ApiServices } from '@warden/api'
import { isDatabaseUnavailable } from '@warden/db'

import type { Config } from './config.ts'
import type { AppEnv } from './http/app-env.ts'
import { createLowPriorityLane, type LowPriorityLane } from './http/low-priority-lane.ts'
import { isSecureRequest } from './http/request-meta.ts'
import { securityHeaders } from './http/security-headers.ts'
import { staticWeb } from './http/static-web.ts'
import { handleTrpc } from './http/trpc.ts'
import { oauthRoutes } from './oauth/routes.ts'
import { JWKS_MAX_AGE_SECONDS } from './signing-keys.ts'

/** What `createApp` needs; built by `startWarden`, or by a test. */
export interface AppOptions {
  readonly config: Config
  readonly services: ApiServices
  /** The socket's remote address; runtime-specific, so the entry point provides it. */
  readonly socketAddress?: (c: Context<AppEnv>) => string | undefined
  /**
   * Where password work (logins, registrations, client secrets) waits for its turn; by default a
   * lane of its own (`createLowPriorityLane`).
   */
  readonly lane?: LowPriorityLane
}

/**
 * The Hono app: tRPC under `/trpc`, health, JWKS, OAuth metadata and token endpoint, the built
 * web app when `config.webDir` is set, and a 404 for anything else. No `listen` here: tests call
 * `app.request()`, entries serve it.
 */
export function createApp(options: AppOptions) {
  const { config, services } = options
  const socketAddress = options.socketAddress ?? (() => undefined)
  const { logger } = services
  const app = new Hono<AppEnv>()

  const security = securityHeaders(config, services.clock)
  // One middleware for what every answer gets: HTTPS enforcement, the security headers and the
  // request log line (one Hono middleware instead of two: each level is a promise per request).
  app.use(async (c, next) => {
    const started = performance.now()
    const secure = isSecureRequest(c, config)
    const refused = security.refuseInsecure(c, secure)
    if (refused === undefined) await next()
    else c.res = refused
    security.apply(c.res.headers, secure)
    // One line per request. The path only: a query string could carry anything.
    const line: Record<string, unknown> = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    }
    const userId = c.get('userId')
    if (userId !== undefined) line['userId'] = userId
    const authError = c.get('authError')
    if (authError !== undefined) line['authError'] = authError
    logger.info('request', line)
  })

  const allowed = new Set(config.corsOrigins)
  const trpcCors = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['authorization', 'content-type', 'trpc-accept', 'x-trpc-source'],
    exposeHeaders: ['www-authenticate', 'retry-after', 'date'],
    maxAge: 600,
  })
  // CORS headers are read only by a browser making a cross-origin request, and such a request
  // always carries `Origin` (Fetch standard). Requests without it skip the middleware, which
  // would otherwise rebuild every response to add headers nobody reads; they keep its
  // `Vary: Origin`, since the answer does depend on that header.
  const corsForBrowsers: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method === 'OPTIONS' || c.req.raw.headers.get('origin') !== null) {
      return trpcCors(c, next)
    }
    await next()
    c.res.headers.append('vary', 'Origin')
    return undefined
  }
  app.use('/trpc/*', corsForBrowsers)
  app.use('/.well-known/*', cors({ origin: '*', allowMethods: ['GET'] }))

  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.get('/health/ready', async (c) => {
    try {
      await Promise.race([
        services.db.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ])
      return c.json({ status: 'ready' })
    } catch {
      return c.json({ status: 'unavailable' }, 503)
    }
  })

  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
    return c.json(services.tokens.keys.publicJwks())
  })
  const lane = options.lane ?? createLowPriorityLane()
  app.route('/', oauthRoutes({ config, services, socketAddress, lane }))

  app.all('/trpc/*', handleTrpc({ config, services, socketAddress, lane }))

  // The built web app, when configured, answers what no API route did (so API paths pay nothing).
  const webApp = config.webDir === undefined ? undefined : staticWeb({ dir: config.webDir })
  app.notFound((c) => webApp?.(c) ?? c.json({ error: 'not_found' }, 404))
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse()
    if (isDatabaseUnavailable(error)) {
      // An outage is not a bug: say so, and when to come back (the tRPC routes do the same).
      // `temporarily_unavailable` is OAuth's word for it (RFC 6749 §4.1.2.1).
      logger.warn('database unavailable', { path: c.req.path, error: error.message })
      return c.json(
        {
          error: 'temporarily_unavailable',
          error_description: 'The database is unavailable; try again shortly',
        },
        503,
        { 'retry-after': '5', 'cache-control': 'no-store' },
      )
    }
    logger.error('unhandled error', { path: c.req.path, error: error.message })
    return c.json({ error: 'internal_error' }, 500)
  })
  return app
}

export type WardenApp = ReturnType<typeof createApp>
