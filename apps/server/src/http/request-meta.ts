import type { Context } from 'hono'

import type { RefreshCookie } from '@warden/api'

import type { Config } from '../config.ts'

/** Last value of a possibly repeated, comma-joined header. */
function lastValue(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const comma = header.lastIndexOf(',')
  return (comma === -1 ? header : header.slice(comma + 1)).trim()
}

/** Whether the client reached us over HTTPS: directly, or through a trusted proxy that says so. */
export function isSecureRequest(c: Context, config: Config): boolean {
  if (config.tls) return true
  if (config.trustProxy)
    return lastValue(c.req.header('x-forwarded-proto'))?.toLowerCase() === 'https'
  return c.req.url.startsWith('https:')
}

/**
 * The client's IP. Behind a trusted proxy, the address that proxy appended to `X-Forwarded-For`
 * (the last one: earlier entries are whatever the client chose to send); otherwise the socket's.
 */
export function clientIp(c: Context, config: Config, socketAddress: string | undefined): string {
  if (config.trustProxy) {
    const forwarded = lastValue(c.req.header('x-forwarded-for'))
    if (forwarded) return forwarded
  }
  return socketAddress ?? 'unknown'
}

/** This server's own origin as the browser sees it. */
function ownOrigin(c: Context, config: Config): string | undefined {
  const host = c.req.header('host')
  return host === undefined
    ? undefined
    : `${isSecureRequest(c, config) ? 'https' : 'http'}://${host}`
}

/**
 * Whether a cookie-authenticated call may proceed (CSRF defence on top of SameSite=Strict):
 * a browser's `Origin` must be this server's own or one of `CORS_ORIGINS`. Non-browser clients
 * send no `Origin` and carry no ambient cookie an attacker could ride on.
 */
export function isOriginAllowed(c: Context, config: Config): boolean {
  const origin = c.req.header('origin')
  if (origin === undefined) return c.req.header('sec-fetch-site') !== 'cross-site'
  return origin === ownOrigin(c, config) || config.corsOrigins.includes(origin)
}

/**
 * The refresh-token cookie: HttpOnly, Secure, SameSite=Strict, `Path=/`; with the `__Host-`
 * prefix over HTTPS (which pins it to this host and to Secure). Browsers accept Secure cookies
 * from http://localhost, so development needs no exception.
 */
export function createRefreshCookie(options: {
  secure: boolean
  cookieHeader: string | undefined
  /** Adds one `Set-Cookie` header to the response. */
  appendSetCookie: (value: string) => void
}): RefreshCookie {
  const name = options.secure ? '__Host-warden_rt' : 'warden_rt'
  const attributes = 'Path=/; HttpOnly; Secure; SameSite=Strict'
  return {
    read() {
      const header = options.cookieHeader
      if (header === undefined) return undefined
      for (const part of header.split(';')) {
        const eq = part.indexOf('=')
        if (eq !== -1 && part.slice(0, eq).trim() === name)
          return part.slice(eq + 1).trim() || undefined
      }
      return undefined
    },
    write(token, maxAgeSeconds) {
      options.appendSetCookie(`${name}=${token}; Max-Age=${maxAgeSeconds}; ${attributes}`)
    },
    clear() {
      options.appendSetCookie(`${name}=; Max-Age=0; ${attributes}`)
    },
  }
}
