import { TRPCClientError } from '@trpc/client'
import { expect, test } from 'vitest'

import { authErrorOf } from './auth-error-of.ts'
import { WardenClientError } from './warden-client-error.ts'

test('is a TRPCClientError, so tRPC hands it to the caller unchanged', () => {
  const cause = new TypeError('fetch failed')
  const error = new WardenClientError('session_expired', 'ended', {
    reason: 'refresh_reused',
    status: 401,
    cause,
  })

  expect(error).toBeInstanceOf(WardenClientError)
  expect(error).toBeInstanceOf(TRPCClientError)
  expect(error).toBeInstanceOf(Error)
  expect(TRPCClientError.from(error)).toBe(error)
  expect(error).toMatchObject({
    name: 'WardenClientError',
    code: 'session_expired',
    reason: 'refresh_reused',
    status: 401,
    cause,
  })
  expect(authErrorOf(error)).toBeUndefined()
})

test('authErrorOf reads data.authError of a tRPC error, and nothing else', () => {
  const withCode = TRPCClientError.from({
    error: {
      code: -32001,
      message: 'x',
      data: { code: 'UNAUTHORIZED', authError: 'expired_token' },
    },
  })
  const without = TRPCClientError.from({ error: { code: -32001, message: 'x', data: {} } })

  expect(authErrorOf(withCode)).toBe('expired_token')
  expect(authErrorOf(without)).toBeUndefined()
  expect(authErrorOf(new Error('plain'))).toBeUndefined()
  expect(authErrorOf(null)).toBeUndefined()
  expect(authErrorOf('expired_token')).toBeUndefined()
})
