import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server'

import {
  AuthError,
  challengeFor,
  withoutStackTrace,
  type AuthErrorCode,
  type Challenge,
} from '@warden/auth'

// tRPC's code for each status an auth failure is answered with (`challengeFor` decides the status).
const TRPC_CODE_BY_STATUS = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
} as const satisfies Record<Challenge['status'], TRPC_ERROR_CODE_KEY>

/**
 * Converts an `AuthError` to the tRPC error that carries it; the formatter exposes its code. Like
 * the `AuthError`, it has no stack trace.
 */
export function toTRPCError(error: AuthError): TRPCError {
  const code = TRPC_CODE_BY_STATUS[challengeFor(error).status]
  return withoutStackTrace(() => new TRPCError({ code, message: error.message, cause: error }))
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
