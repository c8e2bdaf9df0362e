import { describe, expect, it } from 'vitest'

import { generateKeySet, isDevelopmentKey, loadKeySet, type SigningAlgorithm } from '../index.ts'

describe('generateKeySet', () => {
  it.each(['EdDSA', 'ES256', 'RS256', 'HS256'] as const)(
    'generates one private %s key that loads',
    async (alg) => {
      const jwks = await generateKeySet(alg)
      expect(jwks.keys).toHaveLength(1)
      const [jwk] = jwks.keys
      expect(jwk).toMatchObject({ alg, use: 'sig' })
      expect(jwk!['kid']).toMatch(/^[\w-]{16}$/)
      expect(jwk!.d ?? jwk!.k).toBeTypeOf('string')
      const set = await loadKeySet(jwks)
      expect(set.signingKey).toMatchObject({ kid: jwk!['kid'], alg, retired: false })
    },
  )

  it('gives HS256 exactly 32 random bytes', async () => {
    const { keys } = await generateKeySet('HS256')
    expect(Buffer.from(String(keys[0]!.k), 'base64url')).toHaveLength(32)
  })

  it('uses a given kid', async () => {
    const { keys } = await generateKeySet('EdDSA', { kid: 'prod-2025-01' })
    expect(keys[0]!['kid']).toBe('prod-2025-01')
  })

  it('marks development keys with dev-', async () => {
    const random = await loadKeySet(await generateKeySet('EdDSA', { development: true }))
    expect(random.signingKey.kid).toMatch(/^dev-[\w-]{16}$/)
    expect(isDevelopmentKey(random.signingKey)).toBe(true)
    const named = await generateKeySet('EdDSA', { kid: 'local', development: true })
    expect(named.keys[0]!['kid']).toBe('dev-local')
    const already = await generateKeySet('EdDSA', { kid: 'dev-x', development: true })
    expect(already.keys[0]!['kid']).toBe('dev-x')
  })

  it('knows production keys are not development keys', async () => {
    expect(isDevelopmentKey((await loadKeySet(await generateKeySet('EdDSA'))).signingKey)).toBe(
      false,
    )
    expect(isDevelopmentKey({ kid: 'development' })).toBe(false)
  })

  it('gives every key its own kid', async () => {
    const kids = new Set<unknown>()
    for (let i = 0; i < 20; i++) kids.add((await generateKeySet('HS256')).keys[0]!['kid'])
    expect(kids.size).toBe(20)
  })

  it.each([
    ['an unknown algorithm', 'HS512', {}],
    ['an empty kid', 'EdDSA', { kid: '' }],
    ['a kid over 128 characters', 'EdDSA', { kid: 'k'.repeat(129) }],
  ])('rejects %s with a TypeError', async (_, alg, options) => {
    await expect(generateKeySet(alg as SigningAlgorithm, options)).rejects.toThrow(TypeError)
  })
})
