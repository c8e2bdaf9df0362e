/** The token codes: every reason an access token is refused (INTERFACE.md's challenge table). */
export const tokenErrorCodes = [
  'malformed_token',
  'invalid_signature',
  'unsupported_algorithm',
  'expired_token',
  'wrong_issuer',
  'wrong_audience',
  'not_yet_valid',
  'missing_claim',
  'wrong_type',
  'revoked_token',
] as const

export type TokenErrorCode = (typeof tokenErrorCodes)[number]

export type AuthErrorCode =
  | TokenErrorCode
  | 'missing_token'
  | 'invalid_request'
  | 'insufficient_scope'
  | 'invalid_credentials'
  | 'rate_limited'
  | 'overloaded'
  | 'weak_password'
  | 'invalid_refresh_token'
  | 'refresh_reused'
  | 'refresh_expired'
  | 'refresh_revoked'

export class AuthError extends Error {
  override readonly name = 'AuthError'
  readonly code: AuthErrorCode
  declare readonly retryAfter?: number

  constructor(
    code: AuthErrorCode,
    message?: string,
    options?: { cause?: unknown; retryAfter?: number | undefined },
  ) {
    super(message ?? code, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter
  }
}

export function isAuthError(error: unknown): error is AuthError {
  return error instanceof AuthError
}
