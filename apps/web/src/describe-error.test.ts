import { describe, expect, it } from 'vitest'

import { WardenClientError } from '@warden/client'

import { describeError } from './describe-error.ts'

/** What a `TRPCClientError` looks like to the app: a message and the server's `data`. */
function serverError(message: string, data: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { data })
}

describe('describeError', () => {
  it('shows a refused admin call with its status and codes', () => {
    const error = serverError('Forbidden', {
      code: 'FORBIDDEN',
      httpStatus: 403,
      authError: 'insufficient_scope',
    })
    expect(describeError(error)).toEqual({
      status: 403,
      text: 'Refused by the server (403 FORBIDDEN · insufficient_scope): Forbidden',
    })
  })

  it('says what to do about a wrong password, without saying which part was wrong', () => {
    const error = serverError('Invalid email or password', {
      code: 'UNAUTHORIZED',
      httpStatus: 401,
      authError: 'invalid_credentials',
    })
    expect(describeError(error)).toEqual({ status: 401, text: 'Wrong email or password.' })
  })

  it('gives the wait of a throttled sign-in', () => {
    const error = serverError('Too many attempts', {
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      authError: 'rate_limited',
      retryAfter: 30,
    })
    expect(describeError(error).text).toBe('Too many attempts; try again in 30 s.')
  })

  it('explains a refused password from the policy reason', () => {
    const error = serverError('Password refused: too_short', {
      code: 'BAD_REQUEST',
      httpStatus: 400,
      authError: 'weak_password',
    })
    expect(describeError(error).text).toBe(
      'That password is too short: use at least 12 characters.',
    )
    const unknownReason = serverError('Password refused: brand_new', {
      code: 'BAD_REQUEST',
      httpStatus: 400,
      authError: 'weak_password',
    })
    expect(describeError(unknownReason).text).toBe('Password refused: brand_new')
  })

  it('reads the first issue of an input validation failure', () => {
    const issues = JSON.stringify([{ path: ['email'], message: 'Invalid email address' }])
    const error = serverError(issues, { code: 'BAD_REQUEST', httpStatus: 400 })
    expect(describeError(error).text).toBe('Check the form: email: Invalid email address')
  })

  it('passes a conflict through', () => {
    const error = serverError('An account with this email already exists', {
      code: 'CONFLICT',
      httpStatus: 409,
    })
    expect(describeError(error).text).toBe('An account with this email already exists')
  })

  it('says the session ended for the client’s own session failures', () => {
    const ended = new WardenClientError('session_expired', 'ended', { reason: 'refresh_reused' })
    expect(describeError(ended).text).toBe('Your session has ended; please sign in again.')
    const transient = new WardenClientError('refresh_failed', 'failed', { status: 503 })
    expect(describeError(transient)).toEqual({
      status: 503,
      text: 'The session could not be renewed just now; try again.',
    })
  })

  it('says the server could not be reached when no answer came', () => {
    const network = Object.assign(new Error('Failed to fetch'), {
      cause: new TypeError('Failed to fetch'),
    })
    expect(describeError(network)).toEqual({
      status: undefined,
      text: 'The server could not be reached; check the connection.',
    })
    expect(describeError(new TypeError('Failed to fetch')).status).toBeUndefined()
  })

  it('falls back to the message, or to a generic one', () => {
    expect(describeError(new Error('odd')).text).toBe('odd')
    expect(describeError('not an error').text).toBe('Something went wrong; try again.')
  })
})
