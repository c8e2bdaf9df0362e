import { parseAuthorization, type AppRouter, type AuthState } from '@warden/api'
import { AuthError, principalFromClaims, type RemoteVerifier } from '@warden/auth'
import type { ServiceClient } from '@warden/client'

import type { Logger } from './logger.ts'

/** What a procedure of the reports service may know about its request. */
export interface ReportsRequest {
  /** The raw `Authorization` header. */
  readonly authorization: string | null
  /** True when the request carried a bearer token in the URL, where it must not be. */
  readonly tokenInUrl: boolean
}

/** The reports service's tRPC context. */
export interface ReportsContext {
  readonly request: ReportsRequest
  /**
   * Verifies the caller's token with Warden's JWKS on first use and remembers the outcome.
   * Rejects (with a plain Error) only when no JWKS could ever be loaded.
   */
  readonly auth: () => Promise<AuthState>
  /** This service's own client of Warden's API (client credentials), never the caller's token. */
  readonly warden: ServiceClient<AppRouter>
  readonly logger: Logger
}

async function authenticate(verifier: RemoteVerifier, request: ReportsRequest): Promise<AuthState> {
  if (request.tokenInUrl) {
    return {
      status: 'failed',
      error: new AuthError('invalid_request', 'Tokens are not accepted in the URL'),
    }
  }
  const parsed = parseAuthorization(request.authorization)
  if (parsed.kind === 'none') return { status: 'anonymous' }
  if (parsed.kind === 'malformed') {
    return {
      status: 'failed',
      error: new AuthError('invalid_request', 'Malformed Authorization header'),
    }
  }
  try {
    const claims = await verifier.verifyAccessToken(parsed.token)
    return { status: 'authenticated', principal: principalFromClaims(claims), claims }
  } catch (error) {
    if (error instanceof AuthError) return { status: 'failed', error }
    throw error
  }
}

/** Builds the context of one request; nothing is verified until a procedure asks. */
export function createReportsContext(options: {
  verifier: RemoteVerifier
  warden: ServiceClient<AppRouter>
  request: ReportsRequest
  logger: Logger
}): ReportsContext {
  const { verifier, request } = options
  let state: Promise<AuthState> | undefined
  return {
    request,
    auth: () => (state ??= authenticate(verifier, request)),
    warden: options.warden,
    logger: options.logger,
  }
}
