import type { Context } from 'hono'

import type { Clock } from '@warden/auth'

import type { Config } from '../config.ts'

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
const HSTS = 'max-age=31536000; includeSubDomains'

/** The two halves of the security-header policy, applied by the request middleware. */
export interface SecurityHeaders {
  /**
   * In production plain HTTP is redirected to HTTPS (GET, HEAD) or refused (anything else),
   * except the health probes a load balancer sends to the backend directly. Returns the answer
   * for a refused request, else undefined.
   */
  refuseInsecure(c: Context, secure: boolean): Response | undefined
  /** Sets the headers on an answer, `Date` included. */
  apply(headers: Headers, secure: boolean): void
}

/**
 * The RFC 9110 §6.6.1 `Date` (IMF-fixdate) of `clock`'s now. The text changes once a second, so
 * it is formatted once per whole second and reused by every answer within it.
 */
function httpDate(clock: Clock): () => string {
  let second = Number.NaN
  let text = ''
  return () => {
    const now = Math.floor(clock.now() / 1000)
    if (now !== second) {
      second = now
      text = new Date(now * 1000).toUTCString()
    }
    return text
  }
}

/**
 * Security headers on every answer: `nosniff`, frame denial, no referrer, a deny-all CSP for API
 * responses (the web app's static files set their own), `no-store` on everything but the public
 * metadata, and HSTS in production over HTTPS. In production plain HTTP is redirected to HTTPS,
 * except the health probes a load balancer sends to the backend directly.
 *
 * Every answer's `Date` comes from `clock`, the clock tokens are issued and verified with:
 * clients estimate the server's time from it to know when their tokens expire, so it must not be
 * the runtime's own stamp when the two clocks differ (a test's manual clock). In production both
 * are the system clock.
 */
export function securityHeaders(config: Config, clock: Clock): SecurityHeaders {
  const date = httpDate(clock)
  return {
    refuseInsecure(c, secure) {
      if (!config.production || secure || c.req.path.startsWith('/health')) return undefined
      const host = c.req.header('host')
      if (host !== undefined && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
        return c.redirect(`https://${host}${c.req.path}`, 308)
      }
      return c.json({ error: 'https_required' }, 400)
    },
    apply(headers, secure) {
      headers.set('date', date())
      headers.set('x-content-type-options', 'nosniff')
      headers.set('x-frame-options', 'DENY')
      headers.set('referrer-policy', 'no-referrer')
      if (!headers.has('content-security-policy')) headers.set('content-security-policy', API_CSP)
      if (!headers.has('cache-control')) headers.set('cache-control', 'no-store')
      if (config.production && secure) headers.set('strict-transport-security', HSTS)
    },
  }
}
