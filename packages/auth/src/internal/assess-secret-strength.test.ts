import { randomBytes, randomInt } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { assessSecretStrength } from './assess-secret-strength.ts'

const DICTIONARY = [
  'secret',
  'changeme',
  'change-me',
  'password',
  'your-secret-key',
  'your-256-bit-secret',
  'jwt-secret',
  'supersecret',
  'mysecret',
  'default',
  'example',
  'test',
  'qwerty',
  '123456',
]

/** Random bytes that pass, with `text` written into them at a random place. */
function randomWith(text: string, length = 48): Buffer {
  for (;;) {
    const bytes = randomBytes(length)
    if (assessSecretStrength(bytes) !== undefined) continue
    bytes.write(text, randomInt(0, length - text.length), 'latin1')
    return bytes
  }
}

describe('assessSecretStrength', () => {
  it('passes 32 random bytes, every time', () => {
    let failures = 0
    for (let i = 0; i < 20_000; i++) {
      const reason = assessSecretStrength(randomBytes(32))
      // The dictionary alone refuses about one draw in ten million, by chance; nothing else may.
      if (reason !== undefined && !reason.includes('well-known')) failures++
    }
    expect(failures).toBe(0)
  })

  it('passes random bytes of any length from 32 to 256', () => {
    // Only the dictionary may refuse random bytes, by chance (a 256-byte draw holds "test" in
    // some casing about once in a million; generateKeySet redraws). The entropy rules never do.
    for (let length = 32; length <= 256; length++) {
      for (let i = 0; i < 20; i++) {
        const reason = assessSecretStrength(randomBytes(length))
        if (reason !== undefined) expect(reason).toMatch(/well-known/)
      }
    }
  })

  it('passes long base64 text of random bytes (96 bytes, 128 characters) as text', () => {
    // Text of that length contains a dictionary word such as "test" now and then (about one in
    // ten thousand); the entropy rules themselves must never refuse it.
    for (let i = 0; i < 200; i++) {
      const reason = assessSecretStrength(Buffer.from(randomBytes(96).toString('base64url')))
      if (reason !== undefined) expect(reason).toMatch(/well-known|sequential/)
    }
  })

  it('refuses fewer than 32 bytes', () => {
    expect(assessSecretStrength(randomBytes(31))).toMatch(/31 bytes/)
  })

  it.each([
    ['all one byte', Buffer.alloc(32, 7)],
    ['a quarter one byte', Buffer.concat([Buffer.alloc(9, 0x41), randomBytes(23)])],
  ])('refuses %s (mostly one repeated byte)', (_, secret) => {
    expect(assessSecretStrength(secret)).toMatch(/quarter/)
  })

  it.each([
    '0123456789abcdef',
    'abcdef',
    'fedcba',
    'ABCDEF',
    '987654',
    '\u0001\u0002\u0003\u0004\u0005\u0006',
  ])('refuses a sequential run %j', (run) => {
    expect(assessSecretStrength(randomWith(run))).toMatch(/sequential/)
  })

  it('refuses many small steps even without a long run', () => {
    const bytes = Buffer.alloc(48)
    for (let i = 0; i < 48; i++) bytes[i] = (i % 3) + (i % 2) * 40 + 60
    expect(assessSecretStrength(bytes)).toBeDefined()
  })

  it.each(DICTIONARY)('refuses random bytes containing %j in any casing', (word) => {
    // "123456" is also a sequential run, which is found first.
    const reason = word === '123456' ? /sequential/ : /well-known/
    expect(assessSecretStrength(randomWith(word))).toMatch(reason)
    expect(assessSecretStrength(randomWith(word.toUpperCase()))).toMatch(reason)
  })

  it.each([
    'correct horse battery staple is my key',
    'the quick brown fox jumps over the lazy dog',
    'Mary had a little lamb whose fleece was white',
    'ThisIsMyVeryLongPassphraseForTheJwtKey2024!',
    'trustno1-but-maybe-you-if-you-pay-me-well-ok',
    'a very long passphrase that somebody typed into the env file by hand, with commas',
  ])('refuses the typed phrase %j', (phrase) => {
    expect(assessSecretStrength(Buffer.from(phrase))).toBeDefined()
  })

  it('refuses hex text of random bytes: it is text, not the bytes', () => {
    for (let i = 0; i < 100; i++) {
      expect(assessSecretStrength(Buffer.from(randomBytes(32).toString('hex')))).toBeDefined()
    }
  })

  it('refuses too few distinct bytes', () => {
    const bytes = Buffer.alloc(64)
    for (let i = 0; i < 64; i++)
      bytes[i] = [0x10, 0x80, 0xf3, 0x37, 0xa1, 0x5c, 0xe8, 0x22, 0x99, 0x04][(i * 7) % 10]!
    expect(assessSecretStrength(bytes)).toMatch(/distinct/)
  })
})
