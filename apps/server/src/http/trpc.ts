import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import type { Context as HonoContext } from 'hono'

import {
  appRouter,
  createContext,
  responseHeadersFor,
  type ApiServices,
  type Context,
  type RequestMeta,
} from '@warden/api'

import type { Config } from '../config.ts'
import type { AppEnv } from './app-env.ts'
import { clientIp, createRefreshCookie, isOriginAllowed, isSecureRequest } from './request-meta.ts'

/** Largest tRPC batch accepted; every call of a batch counts (a batch of logins is N attempts). */
export const MAX_BATCH_SIZE = 50

/**
 * Serves the tRPC router under `/trpc` through tRPC's fetch adapter: no data transformer, GET
 * for queries, POST for mutations, batching on and capped. The request details the procedures
 * may see are extracted here, once; the auth outcome is copied to the request log afterwards.
 */
export function handleTrpc(options: {
  config: Config
  services: ApiServices
  socketAddress: (c: HonoContext<AppEnv>) => string | undefined
}) {
  const { config, services } = options
  return async (c: HonoContext<AppEnv>) => {
    const raw = c.req.raw
    let context: Context | undefined
    const response = await fetchRequestHandler({
      endpoint: '/trpc',
      req: raw,
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: ({ resHeaders }) => {
        const secure = isSecureRequest(c, config)
        const request: RequestMeta = {
          ip: clientIp(c, config, options.socketAddress(c)),
          userAgent: c.req.header('user-agent'),
          authorization: raw.headers.get('authorization'),
          tokenInUrl: hasTokenInUrl(raw.url),
          originAllowed: isOriginAllowed(c, config),
          refreshCookie: createRefreshCookie({
            secure,
            cookieHeader: c.req.header('cookie'),
            responseHeaders: resHeaders,
          }),
        }
        context = createContext({ services, request })
        return context
      },
      responseMeta: ({ errors }) => ({ headers: responseHeadersFor(errors) }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          services.logger.error('procedure failed', {
            path,
            error: error.cause instanceof Error ? error.cause.message : error.message,
          })
        }
      },
    })
    const auth = context?.peekAuth()
    if (auth?.status === 'authenticated') c.set('userId', auth.claims.sub)
    else if (auth?.status === 'failed') c.set('authError', auth.error.code)
    return response
  }
}

// RFC 6750 §2.3 allows `access_token` in the query; we never do, and say so (tokens leak from
// URLs into logs, history and Referer headers).
function hasTokenInUrl(url: string): boolean {
  const query = url.indexOf('?')
  return query !== -1 && /[?&]access_token=/.test(url.slice(query))
}
