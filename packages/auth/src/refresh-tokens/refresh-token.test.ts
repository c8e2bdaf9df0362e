import { createHash, createHmac, randomBytes } from 'node:crypto'

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import {
  deriveSuccessorToken,
  generateRefreshToken,
  hashRefreshToken,
  isRefreshTokenFormat,
  safeEqual,
} from '../index.ts'

describe('refresh tokens', () => {
  it('generates wrt_ and 43 base64url characters (256 random bits), each different', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateRefreshToken))
    expect(tokens.size).toBe(1000)
    for (const token of tokens) {
      expect(token).toMatch(/^wrt_[\w-]{43}$/)
      expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32)
      expect(isRefreshTokenFormat(token)).toBe(true)
    }
  })

  it('hashes the whole token with SHA-256, in hex', () => {
    const token = generateRefreshToken()
    expect(hashRefreshToken(token)).toBe(createHash('sha256').update(token).digest('hex'))
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/)
    expect(hashRefreshToken(`${token}x`)).not.toBe(hashRefreshToken(token))
  })

  it('derives the successor as HMAC-SHA256 of the token, deterministically, with the same shape', () => {
    const key = randomBytes(32)
    const token = generateRefreshToken()
    const successor = deriveSuccessorToken(token, key)
    expect(successor).toBe(`wrt_${createHmac('sha256', key).update(token).digest('base64url')}`)
    expect(deriveSuccessorToken(token, key)).toBe(successor)
    expect(isRefreshTokenFormat(successor)).toBe(true)
    expect(deriveSuccessorToken(token, randomBytes(32))).not.toBe(successor)
    expect(deriveSuccessorToken(successor, key)).not.toBe(successor)
  })

  it('refuses a short key or a malformed token with a TypeError', () => {
    expect(() => deriveSuccessorToken(generateRefreshToken(), randomBytes(31))).toThrow(TypeError)
    expect(() => deriveSuccessorToken('wrt_short', randomBytes(32))).toThrow(TypeError)
  })

  it.each([
    ['empty', ''],
    ['no prefix', 'A'.repeat(47)],
    ['another prefix', `wrx_${'A'.repeat(43)}`],
    ['one character short', `wrt_${'A'.repeat(42)}`],
    ['one character long', `wrt_${'A'.repeat(44)}`],
    ['base64 characters', `wrt_${'+'.repeat(43)}`],
    ['non-zero spare bits', `wrt_${'A'.repeat(42)}B`],
    ['padding', `wrt_${'A'.repeat(42)}=`],
    ['a number', 12],
    ['null', null],
  ])('refuses %s as a refresh token', (_, value) => {
    expect(isRefreshTokenFormat(value)).toBe(false)
  })

  it('compares in constant time and exactly', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(safeEqual(a, b)).toBe(a === b)
        expect(safeEqual(a, a)).toBe(true)
      }),
    )
    expect(safeEqual('abc', 'abcd')).toBe(false)
    expect(safeEqual('', '')).toBe(true)
    expect(safeEqual('é', 'e\u0301')).toBe(false)
  })
})
