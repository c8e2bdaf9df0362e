import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server'

import { AuthError, type AuthErrorCode } from '@warden/auth'

function trpcCodeFor(code: AuthErrorCode): TRPC_ERROR_CODE_KEY {
  switch (code) {
    case 'invalid_request':
    case 'weak_password':
      return 'BAD_REQUEST'
    case 'insufficient_scope':
      return 'FORBIDDEN'
    case 'rate_limited':
      return 'TOO_MANY_REQUESTS'
    case 'overloaded':
      return 'SERVICE_UNAVAILABLE'
    case 'missing_token':
    case 'malformed_token':
    case 'invalid_signature':
    case 'unsupported_algorithm':
    case 'expired_token':
    case 'wrong_issuer':
    case 'wrong_audience':
    case 'not_yet_valid':
    case 'missing_claim':
    case 'wrong_type':
    case 'revoked_token':
    case 'invalid_credentials':
    case 'invalid_refresh_token':
    case 'refresh_reused':
    case 'refresh_expired':
    case 'refresh_revoked':
      return 'UNAUTHORIZED'
  }
}

/** Converts an `AuthError` to the tRPC error that carries it; the formatter exposes its code. */
export function toTRPCError(error: AuthError): TRPCError {
  return new TRPCError({ code: trpcCodeFor(error.code), message: error.message, cause: error })
}

/** Throws the tRPC form of an auth failure. */
export function fail(
  code: AuthErrorCode,
  message: string,
  options?: { retryAfter?: number },
): never {
  throw toTRPCError(new AuthError(code, message, options))
}

/** The `AuthError` behind a tRPC error, if there is one. */
export function authErrorOf(error: TRPCError): AuthError | undefined {
  return error.cause instanceof AuthError ? error.cause : undefined
}
