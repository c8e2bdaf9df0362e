import { Hono, type Context } from 'hono'

import { rotateSession, type ApiServices } from '@warden/api'
import { AuthError } from '@warden/auth'
import { findServiceClient, recordAuditEvent } from '@warden/db'

import type { Config } from '../config.ts'
import type { AppEnv } from '../http/app-env.ts'
import { clientIp, isOriginAllowed } from '../http/request-meta.ts'
import { createRateLimiter } from './token-bucket.ts'

type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** RFC 6749 §5.2 error answer; `invalid_client` is 401 with a Basic challenge (§5.2). */
function oauthError(c: Context<AppEnv>, error: OAuthErrorCode, description: string) {
  const status = error === 'invalid_client' ? 401 : 400
  const headers: Record<string, string> = { ...NO_STORE }
  if (status === 401) headers['www-authenticate'] = 'Basic realm="warden", charset="UTF-8"'
  return c.json({ error, error_description: description }, status, headers)
}

/** RFC 6749 §2.3.1: Basic credentials are the form-urlencoded id and secret. */
function basicCredentials(
  header: string | undefined,
): { id: string; secret: string } | 'malformed' | undefined {
  if (header === undefined) return undefined
  const match = /^basic +([A-Za-z0-9+/]+=*)$/i.exec(header)
  if (!match?.[1]) return /^basic/i.test(header) ? 'malformed' : undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return 'malformed'
  try {
    const form = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))
    return { id: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) }
  } catch {
    return 'malformed'
  }
}

/** The RFC 8414 metadata and the RFC 6749 token endpoint. */
export function oauthRoutes(options: {
  config: Config
  services: ApiServices
  socketAddress: (c: Context<AppEnv>) => string | undefined
}) {
  const { config, services } = options
  const { clock, db, passwords, tokens } = services
  const perClient = createRateLimiter({ perSecond: 5, burst: 20, now: () => clock.now() })
  const app = new Hono<AppEnv>()

  app.get('/.well-known/oauth-authorization-server', (c) => {
    c.header('cache-control', 'public, max-age=300')
    return c.json({
      issuer: config.issuer,
      jwks_uri: new URL('/.well-known/jwks.json', config.issuer).href,
      token_endpoint: new URL('/oauth/token', config.issuer).href,
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      scopes_supported: [
        'projects:read',
        'projects:write',
        'invoices:read',
        'invoices:write',
        'invoices:approve',
        'reports:read',
      ],
    })
  })

  app.post('/oauth/token', async (c) => {
    if (
      !c.req.header('content-type')?.toLowerCase().startsWith('application/x-www-form-urlencoded')
    ) {
      return oauthError(c, 'invalid_request', 'The body must be application/x-www-form-urlencoded')
    }
    if (!isOriginAllowed(c, config)) {
      return oauthError(c, 'invalid_request', 'Cross-origin request refused')
    }
    const body = new URLSearchParams(await c.req.text())
    for (const [name] of body) {
      // RFC 6749 §3.2: parameters MUST NOT be included more than once.
      if (body.getAll(name).length > 1)
        return oauthError(c, 'invalid_request', `Repeated parameter: ${name}`)
    }
    const grantType = body.get('grant_type')
    const ip = clientIp(c, config, options.socketAddress(c))
    const now = clock.now()

    if (grantType === 'refresh_token') {
      const presented = body.get('refresh_token')
      if (!presented) return oauthError(c, 'invalid_request', 'refresh_token is required')
      try {
        const rotated = await rotateSession(
          services,
          { ip, userAgent: c.req.header('user-agent') },
          presented,
        )
        const subject = rotated.subject
        const access = await tokens.issueAccessToken(
          subject.kind === 'user'
            ? {
                sub: subject.user.id,
                audience: rotated.audience,
                clientId: services.config.firstPartyClientId,
                roles: subject.user.roles,
                ...(rotated.scope === null ? {} : { scope: rotated.scope }),
                tenantId: subject.user.tenantId,
              }
            : {
                sub: subject.clientId,
                audience: rotated.audience,
                clientId: subject.clientId,
                ...(rotated.scope === null ? {} : { scope: rotated.scope }),
              },
        )
        return c.json(
          {
            access_token: access.token,
            token_type: 'Bearer',
            expires_in: access.expiresIn,
            refresh_token: rotated.successor,
            ...(access.claims.scope === undefined ? {} : { scope: access.claims.scope }),
          },
          200,
          NO_STORE,
        )
      } catch (error) {
        if (error instanceof AuthError) return oauthError(c, 'invalid_grant', error.message)
        throw error
      }
    }

    if (grantType !== 'client_credentials') {
      return oauthError(c, 'unsupported_grant_type', 'Supported: client_credentials, refresh_token')
    }

    const basic = basicCredentials(c.req.header('authorization'))
    const postId = body.get('client_id')
    const postSecret = body.get('client_secret')
    if (basic === 'malformed') return oauthError(c, 'invalid_client', 'Malformed Basic credentials')
    if (basic && (postId !== null || postSecret !== null)) {
      // RFC 6749 §2.3: a client MUST NOT use more than one authentication method.
      return oauthError(c, 'invalid_request', 'Use one client authentication method')
    }
    const credentials =
      basic ?? (postId && postSecret ? { id: postId, secret: postSecret } : undefined)
    if (!credentials) return oauthError(c, 'invalid_client', 'Client authentication required')
    if (credentials.id.length > 128 || credentials.secret.length > 256) {
      return oauthError(c, 'invalid_client', 'Client authentication failed')
    }

    const wait = perClient.take(credentials.id)
    if (wait > 0) {
      return c.json({ error: 'rate_limited', error_description: 'Too many token requests' }, 429, {
        ...NO_STORE,
        'retry-after': String(wait),
      })
    }

    const client = await findServiceClient(db.kysely, credentials.id)
    const outcome = client
      ? await passwords.verify(client.secretHash, credentials.secret)
      : (await passwords.verifyDummy(credentials.secret), { valid: false })
    if (!client || !outcome.valid || !client.enabled) {
      await recordAuditEvent(db.kysely, {
        type: 'client_auth_failed',
        at: new Date(now),
        ip,
        ...(client ? { actorClientId: client.id } : {}),
        reason: !client ? 'unknown_client' : !outcome.valid ? 'wrong_secret' : 'disabled',
      })
      return oauthError(c, 'invalid_client', 'Client authentication failed')
    }

    const requestedAudience = body.get('audience') ?? body.get('resource')
    const audience =
      requestedAudience ?? (client.audiences.length === 1 ? client.audiences[0] : undefined)
    if (audience === undefined) return oauthError(c, 'invalid_request', 'audience is required')
    if (!client.audiences.includes(audience)) {
      return oauthError(c, 'invalid_target', 'This client may not request that audience')
    }
    const requested = body.get('scope')
    let scopes = client.scopes
    if (requested !== null) {
      const wanted = [...new Set(requested.split(' ').filter(Boolean))]
      if (wanted.some((scope) => !client.scopes.includes(scope))) {
        return oauthError(
          c,
          'invalid_scope',
          'The requested scope exceeds what this client may have',
        )
      }
      scopes = wanted
    }
    const scope = scopes.join(' ')
    const access = await tokens.issueAccessToken({
      sub: client.id,
      audience,
      clientId: client.id,
      ...(scope === '' ? {} : { scope }),
    })
    await recordAuditEvent(db.kysely, {
      type: 'client_token_issued',
      at: new Date(now),
      ip,
      actorClientId: client.id,
      details: { audience, scope },
    })
    return c.json(
      { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope },
      200,
      NO_STORE,
    )
  })

  return app
}
