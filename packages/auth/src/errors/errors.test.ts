import { describe, expect, expectTypeOf, it } from 'vitest'

import {
  AuthError,
  createManualClock,
  isAuthError,
  KeySetError,
  systemClock,
  tokenErrorCodes,
  withoutStackTrace,
  type AuthErrorCode,
  type TokenErrorCode,
} from '../index.ts'

describe('withoutStackTrace', () => {
  it('creates an error without a stack trace, then restores the limit, also when creation throws', () => {
    const limit = Error.stackTraceLimit
    const error = withoutStackTrace(() => new TypeError('an outcome'))
    expect(error).toBeInstanceOf(TypeError)
    // V8 keeps the header line; Bun (JavaScriptCore) leaves `stack` undefined.
    expect(error.stack ?? '').not.toMatch(/\n\s+at /)
    expect(Error.stackTraceLimit).toBe(limit)
    expect(() =>
      withoutStackTrace(() => {
        throw new Error('creation failed')
      }),
    ).toThrow('creation failed')
    expect(Error.stackTraceLimit).toBe(limit)
    expect(new Error('a bug').stack).toMatch(/\n\s+at /)
  })
})

describe('AuthError', () => {
  it('carries a code, a name, a cause and retryAfter', () => {
    const cause = new Error('inner')
    const error = new AuthError('rate_limited', 'slow down', { cause, retryAfter: 30 })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('AuthError')
    expect(error.code).toBe('rate_limited')
    expect(error.message).toBe('slow down')
    expect(error.cause).toBe(cause)
    expect(error.retryAfter).toBe(30)
  })

  it('defaults its message to the code and has no retryAfter unless given', () => {
    const error = new AuthError('expired_token')
    expect(error.message).toBe('expired_token')
    expect('retryAfter' in error).toBe(false)
  })

  it('captures no stack trace, and leaves the limit for other errors as it was', () => {
    const limit = Error.stackTraceLimit
    expect(new AuthError('rate_limited').stack ?? '').not.toMatch(/\n\s+at /)
    expect(Error.stackTraceLimit).toBe(limit)
    expect(new Error('a bug').stack).toMatch(/\n\s+at /)
  })

  it('is recognised by isAuthError', () => {
    expect(isAuthError(new AuthError('overloaded'))).toBe(true)
    expect(isAuthError(new Error('x'))).toBe(false)
    expect(isAuthError({ code: 'expired_token' })).toBe(false)
  })

  it('lists the token codes', () => {
    expect(tokenErrorCodes).toEqual([
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
    ])
    expectTypeOf<TokenErrorCode>().toExtend<AuthErrorCode>()
    expectTypeOf<AuthErrorCode>().toEqualTypeOf<
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
    >()
  })
})

describe('KeySetError', () => {
  it('carries a code and the kid', () => {
    const error = new KeySetError('weak_key', 'Key "a": weak', { kid: 'a' })
    expect(error).toMatchObject({ name: 'KeySetError', code: 'weak_key', kid: 'a' })
    expect(new KeySetError('invalid_key_set', 'x').kid).toBeUndefined()
  })
})

describe('clocks', () => {
  it('the manual clock moves only when told', () => {
    const clock = createManualClock(1000)
    expect(clock.now()).toBe(1000)
    clock.advance(500)
    expect(clock.now()).toBe(1500)
    clock.set(42)
    expect(clock.now()).toBe(42)
    expect(() => clock.set(Number.NaN)).toThrow(TypeError)
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(TypeError)
    expect(() => createManualClock(Number.NaN)).toThrow(TypeError)
  })

  it('the system clock reads Date.now()', () => {
    const before = Date.now()
    const now = systemClock.now()
    expect(now).toBeGreaterThanOrEqual(before)
    expect(now).toBeLessThanOrEqual(Date.now())
  })
})
