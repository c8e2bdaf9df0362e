/**
 * The token codes, in a readonly array: every reason an access token is refused, each sent as
 * the `error_description` of an `invalid_token` challenge (INTERFACE.md).
 */
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

/** The subset of {@link AuthErrorCode} that verifying an access token can produce. */
export type TokenErrorCode = (typeof tokenErrorCodes)[number]

/**
 * Every failure a caller may act on: token codes, request codes (`missing_token`,
 * `invalid_request`, `insufficient_scope`) and flow codes. A closed union, so that
 * `switch (error.code)` can be exhaustive.
 */
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

/**
 * The one error class of `@warden/auth` for untrusted input and flow outcomes. Messages are for
 * people and may change; act on `code`. `retryAfter` (seconds) accompanies `rate_limited` and
 * `overloaded`.
 *
 * @example
 * throw new AuthError('rate_limited', 'Too many attempts', { retryAfter: 30 })
 */
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

/** True when `error` is an {@link AuthError}. */
export function isAuthError(error: unknown): error is AuthError {
  return error instanceof AuthError
}
