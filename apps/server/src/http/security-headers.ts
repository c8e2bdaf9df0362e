import type { MiddlewareHandler } from 'hono'

import type { Config } from '../config.ts'
import { isSecureRequest } from './request-meta.ts'

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/**
 * Security headers on every answer: `nosniff`, frame denial, no referrer, a deny-all CSP for API
 * responses (the web app's static files set their own), `no-store` on everything but the public
 * metadata, and HSTS in production over HTTPS. In production plain HTTP is redirected to HTTPS,
 * except the health probes a load balancer sends to the backend directly.
 */
export function securityHeaders(config: Config): MiddlewareHandler {
  const hsts = 'max-age=31536000; includeSubDomains'
  return async (c, next) => {
    const secure = isSecureRequest(c, config)
    if (config.production && !secure && !c.req.path.startsWith('/health')) {
      const host = c.req.header('host')
      if (host !== undefined && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
        return c.redirect(`https://${host}${c.req.path}`, 308)
      }
      return c.json({ error: 'https_required' }, 400)
    }
    await next()
    const headers = c.res.headers
    headers.set('x-content-type-options', 'nosniff')
    headers.set('x-frame-options', 'DENY')
    headers.set('referrer-policy', 'no-referrer')
    if (!headers.has('content-security-policy')) headers.set('content-security-policy', API_CSP)
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store')
    if (config.production && secure) headers.set('strict-transport-security', hsts)
    return undefined
  }
}
