import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

import { isCanonicalBase64url } from '../internal/base64url.ts'

const PREFIX = 'wrt_'
const TOKEN_BYTES = 32
// 32 bytes in unpadded base64url.
const ENCODED_LENGTH = 43
const MIN_KEY_BYTES = 32

/** `wrt_` + 43 base64url characters: 256 random bits. The prefix lets secret scanners spot leaks. */
export function generateRefreshToken(): string {
  return PREFIX + randomBytes(TOKEN_BYTES).toString('base64url')
}

/** Hex SHA-256 of the whole token: what the database stores and looks up. */
export function hashRefreshToken(token: string): string {
  if (typeof token !== 'string') throw new TypeError('token must be a string')
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** True for the exact shape of a refresh token; cheap, for refusing garbage before a query. */
export function isRefreshTokenFormat(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length === PREFIX.length + ENCODED_LENGTH &&
    value.startsWith(PREFIX) &&
    isCanonicalBase64url(value, PREFIX.length, value.length)
  )
}

/**
 * The successor of a refresh token: `wrt_` + base64url(HMAC-SHA256(key, token)). Deterministic,
 * so a repeat presentation inside the reuse interval gets the same successor without the server
 * ever storing a token.
 */
export function deriveSuccessorToken(token: string, key: Uint8Array): string {
  if (!isRefreshTokenFormat(token)) throw new TypeError('token is not a refresh token')
  if (!(key instanceof Uint8Array) || key.length < MIN_KEY_BYTES) {
    throw new TypeError(`key must be at least ${MIN_KEY_BYTES} bytes`)
  }
  return PREFIX + createHmac('sha256', key).update(token, 'utf8').digest('base64url')
}

/** Constant-time string comparison; the time does not depend on where, or whether, they differ. */
export function safeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false
  // Hashing first gives equal-length inputs to timingSafeEqual whatever the string lengths.
  const left = createHash('sha256').update(a, 'utf8').digest()
  const right = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(left, right) && a === b
}
