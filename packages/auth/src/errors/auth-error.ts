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
 * An `AuthError` has no stack trace: it is the answer to what a client sent, not a bug, and its
 * `code` says where it comes from. Capturing one would cost a refused request more than checking
 * a cached token does, and an attacker decides how many requests are refused.
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
    // `super` must stay a statement of its own here (the class initialises fields), hence no
    // `withoutStackTrace`.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message ?? code, options?.cause === undefined ? undefined : { cause: options.cause })
    Error.stackTraceLimit = stackTraceLimit
    this.code = code
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter
  }
}

/**
 * Creates an error without capturing a stack trace, for errors that report an outcome rather than
 * a bug, such as the framework error that carries an {@link AuthError}.
 *
 * @example
 * const error = withoutStackTrace(() => new TRPCError({ code: 'UNAUTHORIZED', cause }))
 */
export function withoutStackTrace<T>(create: () => T): T {
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return create()
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
}

/** True when `error` is an {@link AuthError}. */
export function isAuthError(error: unknown): error is AuthError {
  return error instanceof AuthError
}
