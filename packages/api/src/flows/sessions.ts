import {
  AuthError,
  deriveSuccessorToken,
  generateRefreshToken,
  hashRefreshToken,
  isRefreshTokenFormat,
} from '@warden/auth'
import { createRefreshFamily, rotateRefreshToken } from '@warden/db'

import type { RequestMeta } from '../request.ts'
import { scopeForRoles } from '../scopes.ts'
import type { ApiServices } from '../services.ts'

/** The request details a session records: where it was created or last used from. */
export type SessionOrigin = Pick<RequestMeta, 'ip' | 'userAgent'>

/** What login and refresh hand back: the OAuth token response, camel-cased for tRPC. */
export interface TokenPair {
  accessToken: string
  tokenType: 'Bearer'
  expiresIn: number
  /** Seconds the refresh token lives. */
  refreshExpiresIn: number
  refreshToken: string
}

interface SessionUser {
  readonly id: string
  readonly tenantId: string
  readonly roles: readonly string[]
}

async function accessTokenFor(services: ApiServices, user: SessionUser) {
  const { config, tokens } = services
  return tokens.issueAccessToken({
    sub: user.id,
    audience: config.audience,
    clientId: config.firstPartyClientId,
    roles: user.roles,
    scope: scopeForRoles(user.roles),
    tenantId: user.tenantId,
  })
}

/** Starts a session for a user who just proved who they are: an access token and a new family. */
export async function startUserSession(
  services: ApiServices,
  request: SessionOrigin,
  user: SessionUser,
): Promise<TokenPair> {
  const { config, clock, db } = services
  const refreshToken = generateRefreshToken()
  const [access] = await Promise.all([
    accessTokenFor(services, user),
    createRefreshFamily(db.kysely, {
      subject: { userId: user.id },
      audience: config.audience,
      tokenHash: hashRefreshToken(refreshToken),
      now: new Date(clock.now()),
      ttlMs: config.refreshTokenTtl * 1000,
      maxAgeMs: config.refreshFamilyMaxAge * 1000,
      userAgent: request.userAgent,
      ip: request.ip,
    }),
  ])
  return {
    accessToken: access.token,
    tokenType: 'Bearer',
    expiresIn: access.expiresIn,
    refreshExpiresIn: config.refreshTokenTtl,
    refreshToken,
  }
}

/**
 * Rotates a refresh token: one statement on the happy path. The successor is derived from the
 * presented token with the server's key, so a repeat presentation within the reuse interval gets
 * the very same successor, and no token is ever stored, only hashes.
 *
 * @throws AuthError `invalid_refresh_token`, `refresh_expired`, `refresh_revoked`, `refresh_reused`
 */
export async function rotateSession(
  services: ApiServices,
  request: SessionOrigin,
  presented: string,
) {
  const { clock, config, db, refreshSecret } = services
  if (!isRefreshTokenFormat(presented)) {
    throw new AuthError('invalid_refresh_token', 'Unknown refresh token')
  }
  const successor = deriveSuccessorToken(presented, refreshSecret)
  const result = await rotateRefreshToken(db.kysely, {
    presentedHash: hashRefreshToken(presented),
    successorHash: hashRefreshToken(successor),
    now: new Date(clock.now()),
    ttlMs: config.refreshTokenTtl * 1000,
    reuseIntervalMs: config.refreshReuseInterval * 1000,
    userAgent: request.userAgent,
    ip: request.ip,
  })
  switch (result.status) {
    case 'rotated':
      return { ...result, successor }
    case 'invalid':
      throw new AuthError('invalid_refresh_token', 'Unknown refresh token')
    case 'expired':
      throw new AuthError('refresh_expired', 'The refresh token has expired')
    case 'revoked':
      throw new AuthError('refresh_revoked', 'The session has ended')
    case 'reused':
      throw new AuthError(
        'refresh_reused',
        'The refresh token was already used; the session has ended',
      )
  }
}

/** `auth.refresh`: rotates a user's refresh token and issues a fresh access token. */
export async function refreshUserSession(
  services: ApiServices,
  request: SessionOrigin,
  presented: string,
): Promise<TokenPair> {
  const rotated = await rotateSession(services, request, presented)
  if (rotated.subject.kind !== 'user') {
    // A service's refresh token is redeemed at the token endpoint, never here.
    throw new AuthError('invalid_refresh_token', 'Unknown refresh token')
  }
  const access = await accessTokenFor(services, rotated.subject.user)
  return {
    accessToken: access.token,
    tokenType: 'Bearer',
    expiresIn: access.expiresIn,
    refreshExpiresIn: Math.max(
      0,
      Math.floor((rotated.expiresAt.getTime() - services.clock.now()) / 1000),
    ),
    refreshToken: rotated.successor,
  }
}
