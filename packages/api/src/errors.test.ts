import { getHTTPStatusCodeFromError } from '@trpc/server/http'
import { describe, expect, it } from 'vitest'

import {
  AuthError,
  challengeFor,
  tokenErrorCodes,
  type AuthErrorCode,
  type TokenErrorCode,
} from '@warden/auth'

import { authErrorOf, toTRPCError } from './errors.ts'

// Every code besides the token codes (all 401), spelled out: a code added to the union without a
// status here fails to compile.
const otherCodes = {
  missing_token: 401,
  invalid_request: 400,
  insufficient_scope: 403,
  invalid_credentials: 401,
  rate_limited: 429,
  overloaded: 503,
  weak_password: 400,
  invalid_refresh_token: 401,
  refresh_reused: 401,
  refresh_expired: 401,
  refresh_revoked: 401,
} satisfies Record<Exclude<AuthErrorCode, TokenErrorCode>, number>
const codes: [string, number][] = [
  ...tokenErrorCodes.map((code): [string, number] => [code, 401]),
  ...Object.entries(otherCodes),
]

describe('toTRPCError', () => {
  it.each(codes)('%s is answered %i, as its challenge says', (code, status) => {
    const error = new AuthError(code as AuthErrorCode, 'refused')
    const trpc = toTRPCError(error)
    expect(getHTTPStatusCodeFromError(trpc)).toBe(status)
    expect(challengeFor(error).status).toBe(status)
    expect(authErrorOf(trpc)).toBe(error)
    expect(trpc.message).toBe('refused')
  })
  it('captures no stack trace: it reports what a client sent, not a bug', () => {
    const trpc = toTRPCError(new AuthError('rate_limited', 'slow down'))
    expect(trpc.stack ?? '').not.toMatch(/\n\s+at /)
    expect(new Error('a bug').stack).toMatch(/\n\s+at /)
  })
})
