import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { beforeAll, describe, expect, it } from 'vitest'

import { generateKeySet, KeySetError, loadKeySet, loadKeySetFile, type JwkSet } from '../index.ts'

const ALGS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const
const generated = {} as Record<(typeof ALGS)[number], JsonWebKey>
beforeAll(async () => {
  for (const alg of ALGS) generated[alg] = (await generateKeySet(alg, { kid: `k-${alg}` })).keys[0]!
})

async function refusal(source: string | { keys: unknown[] }): Promise<KeySetError> {
  const error: unknown = await loadKeySet(source).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KeySetError)
  return error as KeySetError
}

const key = (alg: (typeof ALGS)[number], overrides: Record<string, unknown> = {}) => {
  // Overrides of undefined remove the member (JSON.stringify would, too).
  return JSON.parse(JSON.stringify({ ...generated[alg], ...overrides })) as Record<string, unknown>
}

describe('loadKeySet refusals', () => {
  it.each([
    ['invalid JSON', '{"keys": ['],
    ['JSON that is not an object', '[]'],
    ['an object without keys', '{}'],
    ['keys that is not an array', '{"keys": {}}'],
  ])('refuses %s as invalid_key_set', async (_, source) => {
    expect((await refusal(source)).code).toBe('invalid_key_set')
  })

  it('refuses an empty set as no_signing_key', async () => {
    expect((await refusal({ keys: [] })).code).toBe('no_signing_key')
  })

  it('refuses more than 100 keys', async () => {
    const keys = Array.from({ length: 101 }, (_, i) => key('HS256', { kid: `k${i}` }))
    expect((await refusal({ keys })).code).toBe('invalid_key_set')
  })

  it('refuses a key that is not an object, naming its index', async () => {
    const error = await refusal({ keys: [key('EdDSA'), 'x'] })
    expect(error.code).toBe('invalid_key_set')
    expect(error.message).toContain('#1')
  })

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['a number', 5],
  ])('refuses a kid that is %s as missing_kid, naming the index', async (_, kid) => {
    const error = await refusal({ keys: [key('EdDSA'), key('ES256', { kid })] })
    expect(error.code).toBe('missing_kid')
    expect(error.message).toContain('#1')
  })

  it('refuses a kid over 128 characters', async () => {
    const error = await refusal({ keys: [key('EdDSA', { kid: 'k'.repeat(129) })] })
    expect(error.code).toBe('invalid_key_set')
    expect(
      (await loadKeySet({ keys: [key('EdDSA', { kid: 'k'.repeat(128) })] })).signingKey.kid,
    ).toHaveLength(128)
  })

  it('refuses a duplicate kid, naming it', async () => {
    const error = await refusal({
      keys: [key('EdDSA', { kid: 'same' }), key('ES256', { kid: 'same' })],
    })
    expect(error.code).toBe('duplicate_kid')
    expect(error.kid).toBe('same')
    expect(error.message).toContain('same')
  })

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['null', null],
  ])('refuses an alg that is %s as missing_alg', async (_, alg) => {
    const error = await refusal({ keys: [key('EdDSA', { alg })] })
    expect(error.code).toBe('missing_alg')
    expect(error.kid).toBe('k-EdDSA')
  })

  it.each([
    ['an unknown alg', 'EdDSA', { alg: 'RS512' }],
    ['alg none', 'HS256', { alg: 'none' }],
    ['two algs', 'EdDSA', { alg: ['EdDSA', 'ES256'] }],
    ['ES256 on an OKP key', 'EdDSA', { alg: 'ES256' }],
    ['EdDSA on an EC key', 'ES256', { alg: 'EdDSA' }],
    ['HS256 on an RSA key', 'RS256', { alg: 'HS256' }],
    ['RS256 on an oct key', 'HS256', { alg: 'RS256' }],
    ['an OKP key on another curve', 'EdDSA', { crv: 'Ed448' }],
    ['an EC key on another curve', 'ES256', { crv: 'P-384' }],
    ['use enc', 'EdDSA', { use: 'enc' }],
  ] as const)('refuses %s as unsupported_key', async (_, alg, overrides) => {
    const error = await refusal({ keys: [key(alg, overrides)] })
    expect(error.code).toBe('unsupported_key')
    expect(error.message).toContain(`k-${alg}`)
  })

  it.each([
    ['EdDSA', ['d']],
    ['ES256', ['d']],
    ['RS256', ['d', 'p', 'q', 'dp', 'dq', 'qi']],
  ] as const)('refuses a public-only %s key as unsupported_key', async (alg, members) => {
    const overrides = Object.fromEntries(members.map((m) => [m, undefined]))
    expect((await refusal({ keys: [key(alg, overrides)] })).code).toBe('unsupported_key')
  })

  it('refuses an oct key without k', async () => {
    expect((await refusal({ keys: [key('HS256', { k: undefined })] })).code).toBe('unsupported_key')
  })

  it.each([
    ['d that is not base64url', 'EdDSA', { d: 'not base64url!' }],
    ['key_ops that is not a list', 'EdDSA', { key_ops: 'sign' }],
    ['key_ops empty', 'EdDSA', { key_ops: [] }],
    ['key_ops for encryption', 'EdDSA', { key_ops: ['encrypt'] }],
    ['key_ops repeated', 'EdDSA', { key_ops: ['verify', 'verify'] }],
    ['retired_at a string', 'EdDSA', { key_ops: ['verify'], retired_at: '2025' }],
    ['retired_at negative', 'EdDSA', { key_ops: ['verify'], retired_at: -1 }],
    ['retired_at in milliseconds as a float', 'EdDSA', { key_ops: ['verify'], retired_at: 1.5 }],
    ['retired_at on a key that signs', 'EdDSA', { retired_at: 1 }],
    ['staged_at a string', 'EdDSA', { key_ops: ['verify'], staged_at: '2025' }],
    ['staged_at on a key that signs', 'EdDSA', { staged_at: 1 }],
    ['staged_at with retired_at', 'EdDSA', { key_ops: ['verify'], staged_at: 1, retired_at: 2 }],
  ] as const)('refuses %s as invalid_key_set', async (_, alg, overrides) => {
    // A signing key in front, so that only the key under test can be the reason.
    const keys = [key('ES256', { kid: 'front' }), key(alg, overrides)]
    expect((await refusal({ keys })).code).toBe('invalid_key_set')
  })

  it('refuses a padded d as invalid_key_set', async () => {
    const error = await refusal({ keys: [key('EdDSA', { d: `${String(generated.EdDSA.d)}=` })] })
    expect(error.code).toBe('invalid_key_set')
  })

  it('refuses a private key whose public members belong to another key', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
    const error = await refusal({ keys: [key('EdDSA', { x: other.x })] })
    expect(error.code).toBe('invalid_key_set')
  })

  it('refuses an RSA key under 2048 bits as weak_key', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'jwk',
    })
    const error = await refusal({ keys: [{ ...small, kid: 'small', alg: 'RS256' }] })
    expect(error.code).toBe('weak_key')
    expect(error.kid).toBe('small')
  })

  it('refuses an HS256 secret under 32 bytes as weak_key', async () => {
    const error = await refusal({
      keys: [key('HS256', { k: randomBytes(31).toString('base64url') })],
    })
    expect(error.code).toBe('weak_key')
  })

  it.each([
    ['one repeated byte', Buffer.alloc(32, 0x61)],
    ['a sequential run', Buffer.from('0123456789abcdef0123456789abcdef')],
    ['a tutorial secret', Buffer.from('your-256-bit-secret-with-padding!')],
    ['an English phrase', Buffer.from('correct horse battery staple is my key')],
  ])('refuses a low-entropy HS256 secret (%s) as weak_key', async (_, secret) => {
    const error = await refusal({ keys: [key('HS256', { k: secret.toString('base64url') })] })
    expect(error.code).toBe('weak_key')
    expect(error.message).toContain('k-HS256')
  })

  it('refuses a set whose keys are all retired as no_signing_key', async () => {
    const keys = [
      key('EdDSA', { key_ops: ['verify'] }),
      key('ES256', { key_ops: ['verify'], retired_at: 5 }),
    ]
    expect((await refusal({ keys })).code).toBe('no_signing_key')
  })
})

describe('loadKeySet', () => {
  it('loads a JSON string and an object alike', async () => {
    const jwks: JwkSet = { keys: [key('EdDSA')] }
    expect((await loadKeySet(JSON.stringify(jwks))).id).toBe((await loadKeySet(jwks)).id)
  })

  it('signs with the first key that is not retired and verifies with all', async () => {
    const set = await loadKeySet({
      keys: [
        key('EdDSA', { key_ops: ['verify'], retired_at: 1_700_000_000 }),
        key('ES256', { key_ops: ['sign', 'verify'] }),
        key('HS256'),
      ],
    })
    expect(set.signingKey.kid).toBe('k-ES256')
    expect(set.keys.map((k) => [k.kid, k.alg, k.retired, k.retiredAt])).toEqual([
      ['k-EdDSA', 'EdDSA', true, 1_700_000_000],
      ['k-ES256', 'ES256', false, undefined],
      ['k-HS256', 'HS256', false, undefined],
    ])
    expect(set.get('k-HS256')).toBe(set.keys[2])
    expect(set.get('nope')).toBeUndefined()
  })

  it('publishes a staged key without signing with it, and tells it from a retired one', async () => {
    const set = await loadKeySet({
      keys: [
        key('EdDSA', { kid: 'next', key_ops: ['verify'], staged_at: 1_700_000_600 }),
        key('EdDSA', { kid: 'current' }),
        key('ES256', { kid: 'previous', key_ops: ['verify'], retired_at: 1_700_000_000 }),
      ],
    })
    expect(set.signingKey.kid).toBe('current')
    expect(set.keys.map((k) => [k.kid, k.retired, k.stagedAt, k.retiredAt])).toEqual([
      ['next', true, 1_700_000_600, undefined],
      ['current', false, undefined, undefined],
      ['previous', true, undefined, 1_700_000_000],
    ])
    expect(set.publicJwks().keys.map((jwk) => jwk.kid)).toEqual(['next', 'current', 'previous'])
    const promoted = await loadKeySet({
      keys: [key('EdDSA', { kid: 'next' }), key('EdDSA', { kid: 'current' })],
    })
    expect(promoted.signingKey.kid).toBe('next')
    expect(promoted.id).not.toBe(set.id)
  })

  it('refuses a set whose only keys are staged as no_signing_key', async () => {
    const keys = [key('EdDSA', { key_ops: ['verify'], staged_at: 5 })]
    expect((await refusal({ keys })).code).toBe('no_signing_key')
  })

  it('derives the id from the content', async () => {
    const a = await loadKeySet({ keys: [key('EdDSA'), key('HS256')] })
    const b = await loadKeySet({ keys: [key('EdDSA'), key('HS256')] })
    const reordered = await loadKeySet({ keys: [key('HS256'), key('EdDSA')] })
    const retired = await loadKeySet({
      keys: [key('EdDSA'), key('HS256', { key_ops: ['verify'] })],
    })
    const staged = await loadKeySet({
      keys: [key('EdDSA'), key('HS256', { key_ops: ['verify'], staged_at: 1 })],
    })
    const otherSecret = await loadKeySet({
      keys: [key('EdDSA'), key('HS256', { k: randomBytes(32).toString('base64url') })],
    })
    expect(a.id).toBe(b.id)
    expect(new Set([a.id, reordered.id, retired.id, staged.id, otherSecret.id]).size).toBe(5)
  })

  it('is frozen', async () => {
    const set = await loadKeySet({ keys: [key('EdDSA')] })
    expect(Object.isFrozen(set)).toBe(true)
    expect(Object.isFrozen(set.keys)).toBe(true)
    expect(Object.isFrozen(set.signingKey)).toBe(true)
  })
})

describe('publicJwks never leaks', () => {
  const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

  it.each([
    ['EdDSA', ['kty', 'crv', 'x', 'kid', 'alg', 'use']],
    ['ES256', ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use']],
    ['RS256', ['kty', 'n', 'e', 'kid', 'alg', 'use']],
  ] as const)('gives only the public members of an %s key', async (alg, members) => {
    const set = await loadKeySet({ keys: [key(alg, { key_ops: ['sign', 'verify'] })] })
    const [jwk] = set.publicJwks().keys
    expect(Object.keys(jwk!).sort()).toEqual([...members].sort())
    expect(jwk).toMatchObject({ kid: `k-${alg}`, alg, use: 'sig' })
    for (const member of PRIVATE) expect(jwk).not.toHaveProperty(member)
  })

  it('never gives an oct key', async () => {
    const only = await loadKeySet({ keys: [key('HS256')] })
    expect(only.publicJwks()).toEqual({ keys: [] })
    const mixed = await loadKeySet({
      keys: [key('HS256'), key('EdDSA'), key('ES256'), key('RS256')],
    })
    const published = mixed.publicJwks()
    expect(published.keys.map((k) => k.kid)).toEqual(['k-EdDSA', 'k-ES256', 'k-RS256'])
    const text = JSON.stringify(published)
    for (const alg of ALGS) {
      for (const member of PRIVATE) {
        const secret = generated[alg][member]
        if (typeof secret === 'string') expect(text).not.toContain(secret)
      }
    }
  })

  it('verifies with the published key what the private key signs', async () => {
    const { createPublicKey, sign, verify } = await import('node:crypto')
    const set = await loadKeySet({ keys: [key('ES256')] })
    const published = createPublicKey({
      key: set.publicJwks().keys[0] as JsonWebKey,
      format: 'jwk',
    })
    const { createPrivateKey } = await import('node:crypto')
    const signature = sign(
      'sha256',
      Buffer.from('x'),
      createPrivateKey({ key: generated.ES256, format: 'jwk' }),
    )
    expect(verify('sha256', Buffer.from('x'), published, signature)).toBe(true)
  })

  it('hands out copies', async () => {
    const set = await loadKeySet({ keys: [key('EdDSA')] })
    const first = set.publicJwks()
    ;(first.keys as unknown[]).push({ kty: 'oct', k: 'x' })
    expect(set.publicJwks().keys).toHaveLength(1)
  })

  it('does not serialise private material with the key set', async () => {
    const set = await loadKeySet({ keys: [key('EdDSA'), key('HS256')] })
    const text = JSON.stringify(set)
    expect(text).not.toContain(String(generated.EdDSA.d))
    expect(text).not.toContain(String(generated.HS256.k))
  })
})

describe('loadKeySetFile', () => {
  it('loads a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-keys-'))
    const path = join(dir, 'keys.json')
    await writeFile(path, JSON.stringify({ keys: [key('EdDSA')] }))
    expect((await loadKeySetFile(path)).signingKey.kid).toBe('k-EdDSA')
  })

  it('refuses a missing file as invalid_key_set', async () => {
    const error: unknown = await loadKeySetFile('/nonexistent/keys.json').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeySetError)
    expect((error as KeySetError).code).toBe('invalid_key_set')
  })
})
