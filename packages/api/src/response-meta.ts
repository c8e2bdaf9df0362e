import type { TRPCError } from '@trpc/server'

import { challengeFor } from '@warden/auth'

import { authErrorOf } from './errors.ts'

/**
 * The HTTP headers that go with a tRPC response's errors: the RFC 6750 `WWW-Authenticate`
 * challenge of the first auth failure (for a batch, the first failing call that has one) and
 * `Retry-After` for rate limiting. tRPC picks the status itself (207 for a mixed batch); each
 * call's `error.data.authError` carries the code in every case.
 */
export function responseHeadersFor(errors: readonly TRPCError[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const error of errors) {
    const authError = authErrorOf(error)
    if (!authError) continue
    const { wwwAuthenticate } = challengeFor(authError)
    if (wwwAuthenticate !== undefined && headers['www-authenticate'] === undefined) {
      headers['www-authenticate'] = wwwAuthenticate
    }
    if (authError.retryAfter !== undefined && headers['retry-after'] === undefined) {
      headers['retry-after'] = String(authError.retryAfter)
    }
  }
  if (
    errors.some((error) => error.code === 'SERVICE_UNAVAILABLE') &&
    headers['retry-after'] === undefined
  ) {
    headers['retry-after'] = '5'
  }
  return headers
}
