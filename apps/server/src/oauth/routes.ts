import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'

import { rotateSession, userScopeFor, userScopesOffered, type ApiServices } from '@warden/api'
import { AuthError, hashRefreshToken, isRefreshTokenFormat } from '@warden/auth'
import {
  findFamilyByTokenHash,
  findServiceClient,
  isDatabaseUnavailable,
  recordAuditEvent,
  type ServiceClient,
} from '@warden/db'

import type { Config } from '../config.ts'
import type { AppEnv } from '../http/app-env.ts'
import type { LowPriorityLane } from '../http/low-priority-lane.ts'
import { clientIp, isOriginAllowed } from '../http/request-meta.ts'
import { JWKS_MAX_AGE_SECONDS } from '../signing-keys.ts'
import { createRateLimiter } from './token-bucket.ts'

/**
 * RFC 6749 §5.2 codes, RFC 8707 `invalid_target`, and three answers §5.2 does not name: 429
 * `rate_limited`, 503 `temporarily_unavailable` (the registered name, RFC 6749 §4.1.2.1, for
 * "try again later") and 500 `server_error`.
 */
type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'rate_limited'
  | 'temporarily_unavailable'
  | 'server_error'

class OAuthError extends Error {
  readonly code: OAuthErrorCode
  readonly retryAfter: number | undefined
  constructor(code: OAuthErrorCode, description: string, retryAfter?: number) {
    super(description)
    this.code = code
    this.retryAfter = retryAfter
  }
}

const STATUS: Record<OAuthErrorCode, 400 | 401 | 429 | 500 | 503> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  rate_limited: 429,
  temporarily_unavailable: 503,
  server_error: 500,
}

// RFC 6749 §5.1: token responses, errors included, must not be cached.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }
const MAX_BODY_BYTES = 16 * 1024
const MAX_CLIENT_ID_LENGTH = 128
const MAX_CLIENT_SECRET_LENGTH = 256
const DATABASE_RETRY_AFTER = 5
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/
const GRANT_TYPES = ['client_credentials', 'refresh_token'] as const

/** The RFC 6749 §5.2 error answer; only `invalid_client` (401) carries a Basic challenge. */
function errorResponse(c: Context, error: OAuthError): Response {
  const status = STATUS[error.code]
  const headers: Record<string, string> = { ...NO_STORE }
  // §5.2: the challenge matches the scheme clients authenticate with; never on another status.
  if (status === 401) headers['www-authenticate'] = 'Basic realm="warden", charset="UTF-8"'
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter)
  return c.json({ error: error.code, error_description: error.message }, status, headers)
}

/** The request's form parameters; §3.1: a parameter sent without a value counts as omitted. */
interface TokenParams {
  get(name: string): string | undefined
}

function readParams(body: string): TokenParams {
  const form = new URLSearchParams(body)
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length === 1) continue
    // RFC 8707 §2 allows several resources; a Warden token has exactly one audience.
    if (name === 'resource') throw new OAuthError('invalid_target', 'One resource per token')
    // RFC 6749 §3.2: request parameters MUST NOT be included more than once.
    throw new OAuthError('invalid_request', `Repeated parameter: ${name}`)
  }
  return {
    get(name) {
      const value = form.get(name)
      return value === null || value === '' ? undefined : value
    },
  }
}

interface ClientCredentials {
  readonly id: string
  readonly secret: string
}

/** RFC 6749 §2.3.1: the Basic user and password are the form-urlencoded id and secret. */
function basicCredentials(header: string | undefined): ClientCredentials | undefined {
  if (header === undefined || !/^basic(?: |$)/i.test(header)) return undefined
  const malformed = new OAuthError('invalid_client', 'Malformed Basic credentials')
  const match = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header)
  if (match?.[1] === undefined) throw malformed
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) throw malformed
  try {
    const form = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))
    return { id: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) }
  } catch {
    throw malformed
  }
}

/** The client's credentials by Basic or in the body (never both), or undefined for none. */
function clientCredentials(
  header: string | undefined,
  params: TokenParams,
): ClientCredentials | undefined {
  const basic = basicCredentials(header)
  const postId = params.get('client_id')
  const postSecret = params.get('client_secret')
  let credentials: ClientCredentials | undefined
  if (basic !== undefined) {
    // §2.3: one authentication method per request. A `client_id` alone is no method, if it
    // names the same client.
    if (postSecret !== undefined || (postId !== undefined && postId !== basic.id)) {
      throw new OAuthError('invalid_request', 'Use one client authentication method')
    }
    credentials = basic
  } else if (postId !== undefined || postSecret !== undefined) {
    if (postId === undefined || postSecret === undefined) {
      throw new OAuthError('invalid_client', 'Client authentication failed')
    }
    credentials = { id: postId, secret: postSecret }
  }
  if (
    credentials !== undefined &&
    (credentials.id.length > MAX_CLIENT_ID_LENGTH ||
      credentials.secret.length > MAX_CLIENT_SECRET_LENGTH)
  ) {
    throw new OAuthError('invalid_client', 'Client authentication failed')
  }
  return credentials
}

/** RFC 8707 `resource` or the common `audience`: one target; both must then agree. */
function requestedAudience(params: TokenParams): string | undefined {
  const audience = params.get('audience')
  const resource = params.get('resource')
  if (audience !== undefined && resource !== undefined && audience !== resource) {
    throw new OAuthError('invalid_target', 'audience and resource name different targets')
  }
  return audience ?? resource
}

/** The requested scopes (§3.3), or undefined when the request leaves the scope to the server. */
function requestedScopes(params: TokenParams): string[] | undefined {
  const scope = params.get('scope')
  if (scope === undefined) return undefined
  const scopes = [...new Set(scope.split(' ').filter(Boolean))]
  if (scopes.length === 0 || scopes.some((token) => !SCOPE_TOKEN.test(token))) {
    throw new OAuthError('invalid_scope', 'Malformed scope')
  }
  return scopes
}

/** Every scope the request narrows to must be offered: a request never widens (§3.3). */
function narrow(offered: readonly string[], requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return [...offered]
  if (requested.some((scope) => !offered.includes(scope))) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds what may be granted')
  }
  return [...requested]
}

/** Scopes in a stable order, as the `scope` claim and answer carry them. */
const scopeText = (scopes: readonly string[]) => [...scopes].sort().join(' ')

/**
 * The RFC 8414 metadata and the RFC 6749 token endpoint: `client_credentials` (RFC 9068 service
 * tokens: `sub` and `client_id` are the client, `aud` the one audience asked for) and
 * `refresh_token` (rotation as `auth.refresh`; RFC 8707 `audience`/`resource` picks which
 * service the user's new access token is for).
 */
export function oauthRoutes(options: {
  config: Config
  services: ApiServices
  socketAddress: (c: Context<AppEnv>) => string | undefined
  lane: LowPriorityLane
}) {
  const { config, services, lane } = options
  const { clock, db, passwords, tokens } = services
  // Keyed by client AND address: keyed by the client id alone (no secret), anyone could keep a
  // client at its limit from elsewhere. Before the argon2id check, so it also bounds that work.
  const perClient = createRateLimiter({ perSecond: 5, burst: 20, now: () => clock.now() })
  const userAudiences = new Set([config.audience, ...config.userAudiences])
  const app = new Hono<AppEnv>()

  const metadata = {
    issuer: config.issuer,
    token_endpoint: new URL('/oauth/token', config.issuer).href,
    jwks_uri: new URL('/.well-known/jwks.json', config.issuer).href,
    grant_types_supported: [...GRANT_TYPES],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // No authorization endpoint, so no response type: the list is required (§2), and empty.
    response_types_supported: [],
    scopes_supported: [
      ...new Set(
        [...userAudiences].flatMap(
          (audience) => userScopesOffered(audience, config.audience) ?? [],
        ),
      ),
    ].sort(),
  }
  app.get('/.well-known/oauth-authorization-server', (c) => {
    c.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
    return c.json(metadata)
  })

  /** Authenticates a client by its secret's argon2id hash; unknown ids cost the same time. */
  async function authenticate(credentials: ClientCredentials, ip: string): Promise<ServiceClient> {
    // Password work: the requests already waiting go first (see createLowPriorityLane).
    await lane.turn()
    const wait = perClient.take(`${credentials.id}\0${ip}`)
    if (wait > 0) throw new OAuthError('rate_limited', 'Too many token requests', wait)
    // Admitted by the hasher before the database is asked anything (see PasswordHasher.admit).
    const { client, valid } = await passwords.admit(async () => {
      const found = await findServiceClient(db.kysely, credentials.id)
      return {
        client: found,
        valid: found
          ? (await passwords.verify(found.secretHash, credentials.secret)).valid
          : (await passwords.verifyDummy(credentials.secret), false),
      }
    })
    if (client?.enabled === true && valid) return client
    await recordAuditEvent(db.kysely, {
      type: 'client_auth_failed',
      at: new Date(clock.now()),
      ip,
      ...(client ? { actorClientId: client.id } : {}),
      reason: !client ? 'unknown_client' : !valid ? 'wrong_secret' : 'disabled',
    })
    // One answer for an unknown client, a wrong secret and a disabled client.
    throw new OAuthError('invalid_client', 'Client authentication failed')
  }

  async function clientCredentialsGrant(c: Context<AppEnv>, params: TokenParams, ip: string) {
    const credentials = clientCredentials(c.req.header('authorization'), params)
    if (credentials === undefined) {
      throw new OAuthError('invalid_client', 'Client authentication required')
    }
    const client = await authenticate(credentials, ip)
    const requested = requestedAudience(params)
    const audience = requested ?? (client.audiences.length === 1 ? client.audiences[0] : undefined)
    if (audience === undefined) {
      throw new OAuthError('invalid_request', 'audience is required: this client has several')
    }
    if (!client.audiences.includes(audience)) {
      throw new OAuthError('invalid_target', 'This client may not request that audience')
    }
    const scope = scopeText(narrow(client.scopes, requestedScopes(params)))
    const access = await tokens.issueAccessToken({
      sub: client.id,
      audience,
      clientId: client.id,
      ...(scope === '' ? {} : { scope }),
    })
    await recordAuditEvent(db.kysely, {
      type: 'client_token_issued',
      at: new Date(clock.now()),
      ip,
      actorClientId: client.id,
      details: { audience, scope },
    })
    // §4.4.3: no refresh token for client credentials.
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      ...(scope === '' ? {} : { scope }),
    }
  }

  async function refreshTokenGrant(c: Context<AppEnv>, params: TokenParams, ip: string) {
    const presented = params.get('refresh_token')
    if (presented === undefined)
      throw new OAuthError('invalid_request', 'refresh_token is required')
    // Everything that can refuse the request is checked before the token is rotated: a refused
    // request must not use it up (a retry after the reuse interval would revoke the session).
    const credentials = clientCredentials(c.req.header('authorization'), params)
    // §6: a client that authenticates must be the one the token was issued to. Warden issues
    // refresh tokens to its first-party public client only, never to a service client (which
    // gets new tokens by client credentials), so such a request can only be refused.
    if (credentials !== undefined) {
      await authenticate(credentials, ip)
      throw new OAuthError('invalid_grant', 'This refresh token was not issued to this client')
    }
    const audience = requestedAudience(params) ?? config.audience
    const offered = userAudiences.has(audience)
      ? userScopesOffered(audience, config.audience)
      : undefined
    if (offered === undefined) {
      throw new OAuthError('invalid_target', 'Users get no access token for that audience')
    }
    const requested = requestedScopes(params)
    narrow(offered, requested)
    const family = isRefreshTokenFormat(presented)
      ? await findFamilyByTokenHash(db.kysely, hashRefreshToken(presented))
      : undefined
    if (family === undefined) throw new OAuthError('invalid_grant', 'Unknown refresh token')
    if (family.userId === null) {
      throw new OAuthError('invalid_grant', 'Service clients renew tokens by client credentials')
    }

    let rotated: Awaited<ReturnType<typeof rotateSession>>
    try {
      rotated = await rotateSession(
        services,
        { ip, userAgent: c.req.header('user-agent') },
        presented,
      )
    } catch (error) {
      if (error instanceof AuthError && error.code !== 'overloaded') {
        throw new OAuthError('invalid_grant', error.message)
      }
      throw error
    }
    const { subject } = rotated
    if (subject.kind !== 'user') throw new OAuthError('invalid_grant', 'Unknown refresh token')
    const { user } = subject
    // Roles are read fresh at rotation: the scope is what they grant now, narrowed as asked.
    const granted = (
      userScopeFor({ audience, apiAudience: config.audience, roles: user.roles }) ?? ''
    )
      .split(' ')
      .filter((scope) => scope !== '' && (requested === undefined || requested.includes(scope)))
    const scope = scopeText(granted)
    const access = await tokens.issueAccessToken({
      sub: user.id,
      audience,
      clientId: services.config.firstPartyClientId,
      roles: user.roles,
      ...(scope === '' ? {} : { scope }),
      tenantId: user.tenantId,
    })
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: rotated.successor,
      ...(scope === '' ? {} : { scope }),
    }
  }

  app.post(
    '/oauth/token',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => errorResponse(c, new OAuthError('invalid_request', 'The body is too large')),
    }),
    async (c) => {
      try {
        // §3.2 and §2.3.1: parameters and credentials travel in the body, never in the URL.
        if (c.req.url.includes('?')) {
          throw new OAuthError('invalid_request', 'The token endpoint takes no query parameters')
        }
        const type = c.req.header('content-type')?.toLowerCase()
        if (type?.split(';')[0]?.trim() !== 'application/x-www-form-urlencoded') {
          throw new OAuthError(
            'invalid_request',
            'The body must be application/x-www-form-urlencoded',
          )
        }
        if (!isOriginAllowed(c, config)) {
          throw new OAuthError('invalid_request', 'Cross-origin request refused')
        }
        const params = readParams(await c.req.text())
        const grantType = params.get('grant_type')
        if (grantType === undefined)
          throw new OAuthError('invalid_request', 'grant_type is required')
        const ip = clientIp(c, config, options.socketAddress(c))
        let answer: Record<string, unknown>
        if (grantType === 'client_credentials') {
          answer = await clientCredentialsGrant(c, params, ip)
        } else if (grantType === 'refresh_token') {
          answer = await refreshTokenGrant(c, params, ip)
        } else {
          throw new OAuthError('unsupported_grant_type', `Supported: ${GRANT_TYPES.join(', ')}`)
        }
        return c.json(answer, 200, NO_STORE)
      } catch (error) {
        if (error instanceof OAuthError) return errorResponse(c, error)
        if (isDatabaseUnavailable(error)) {
          return errorResponse(
            c,
            new OAuthError(
              'temporarily_unavailable',
              'The database is unavailable; try again shortly',
              DATABASE_RETRY_AFTER,
            ),
          )
        }
        if (error instanceof AuthError && error.code === 'overloaded') {
          return errorResponse(
            c,
            new OAuthError('temporarily_unavailable', 'Too busy; try again shortly', 1),
          )
        }
        services.logger.error('token endpoint failed', {
          error: error instanceof Error ? error.message : String(error),
        })
        return errorResponse(c, new OAuthError('server_error', 'Internal server error'))
      }
    },
  )
  // §3.2: the token endpoint is POST only.
  app.all('/oauth/token', (c) =>
    c.json({ error: 'invalid_request', error_description: 'Use POST' }, 405, {
      ...NO_STORE,
      allow: 'POST',
    }),
  )

  return app
}
