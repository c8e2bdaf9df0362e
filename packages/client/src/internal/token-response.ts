import type { RegisteredUser } from '../create-warden-client.ts'
import { WardenClientError } from '../warden-client-error.ts'
import { isRecord } from './is-record.ts'

/** What `auth.login` and `auth.refresh` return, checked. */
export interface IssuedTokens {
  readonly accessToken: string
  readonly expiresInMs: number
  readonly refreshToken: string | undefined
}

function invalid(what: string): WardenClientError {
  return new WardenClientError('invalid_response', `The server's ${what} answer is malformed`)
}

/** Checks a token answer: a non-empty `accessToken`, `tokenType` Bearer, a positive `expiresIn`. */
export function parseIssuedTokens(value: unknown, procedure: string): IssuedTokens {
  if (!isRecord(value)) throw invalid(procedure)
  const { accessToken, tokenType, expiresIn, refreshToken } = value
  if (typeof accessToken !== 'string' || accessToken === '') throw invalid(procedure)
  // RFC 6749 §5.1: the token type is case-insensitive.
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
    throw invalid(procedure)
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw invalid(procedure)
  }
  if (refreshToken !== undefined && (typeof refreshToken !== 'string' || refreshToken === '')) {
    throw invalid(procedure)
  }
  return { accessToken, expiresInMs: expiresIn * 1000, refreshToken }
}

/** Checks the `auth.register` answer `{ user: { id, email } }`. */
export function parseRegisteredUser(value: unknown): RegisteredUser {
  if (!isRecord(value) || !isRecord(value['user'])) throw invalid('auth.register')
  const { id, email } = value['user']
  if (typeof id !== 'string' || typeof email !== 'string') throw invalid('auth.register')
  return { user: { id, email } }
}
