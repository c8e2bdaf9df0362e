import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { decodeBase64url, isCanonicalBase64url } from './base64url.ts'

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

describe('canonical base64url', () => {
  it('accepts what Buffer encodes, and decodes it back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url')
        expect(isCanonicalBase64url(text)).toBe(true)
        expect(decodeBase64url(text)).toEqual(Buffer.from(bytes))
      }),
    )
  })

  it('agrees between the scanning and the round-trip implementations on any string', () => {
    const text = fc.string({
      unit: fc.constantFrom(...`${alphabet}+/= .é`.split('')),
      maxLength: 24,
    })
    fc.assert(
      fc.property(fc.oneof(text, fc.string()), (candidate) => {
        expect(decodeBase64url(candidate) !== undefined).toBe(isCanonicalBase64url(candidate))
      }),
      { numRuns: 5000 },
    )
  })

  it.each([
    ['padding', 'QQ=='],
    ['standard base64 characters', 'a+b/'],
    ['a length of 1 mod 4', 'QUFBQ'],
    ['non-zero spare bits (one byte)', 'QR'],
    ['non-zero spare bits (two bytes)', 'QUF'],
    ['whitespace', 'QU FB'],
  ])('refuses %s', (_, text) => {
    expect(isCanonicalBase64url(text)).toBe(false)
    expect(decodeBase64url(text)).toBeUndefined()
  })

  it('checks only the given range', () => {
    expect(isCanonicalBase64url('..QUFB..', 2, 6)).toBe(true)
    expect(isCanonicalBase64url('..QUFB..', 1, 6)).toBe(false)
  })
})
