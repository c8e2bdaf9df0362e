import { describe, expect, it } from 'vitest'

import { generateKeySet, loadKeySet, rotateKeySet } from '../index.ts'

const NOW = 1_750_000_000_000

describe('rotateKeySet', () => {
  it('puts a new key in front and retires the previous signing key', async () => {
    const current = await generateKeySet('EdDSA', { kid: 'one' })
    const rotated = await rotateKeySet(current, { now: NOW + 999 })
    expect(rotated.keys.map((k) => k['kid'])).toEqual([rotated.added, 'one'])
    expect(rotated.retired).toEqual(['one'])
    expect(rotated.dropped).toEqual([])
    expect(rotated.keys[0]).toMatchObject({ alg: 'EdDSA' })
    expect(rotated.keys[1]).toMatchObject({
      kid: 'one',
      key_ops: ['verify'],
      retired_at: NOW / 1000,
    })
    const set = await loadKeySet(rotated)
    expect(set.signingKey.kid).toBe(rotated.added)
    expect(set.get('one')).toMatchObject({ retired: true, retiredAt: NOW / 1000 })
  })

  it('does not modify its input', async () => {
    const current = await generateKeySet('EdDSA', { kid: 'one' })
    const before = JSON.stringify(current)
    await rotateKeySet(current, { now: NOW })
    expect(JSON.stringify(current)).toBe(before)
  })

  it('switches algorithm when asked', async () => {
    const rotated = await rotateKeySet(await generateKeySet('HS256', { kid: 'hs' }), {
      alg: 'ES256',
      now: NOW,
    })
    expect(rotated.keys[0]).toMatchObject({ alg: 'ES256', kty: 'EC' })
  })

  it('drops retired keys retired before the cut-off and keeps the rest', async () => {
    const first = await generateKeySet('EdDSA', { kid: 'one' })
    const second = await rotateKeySet(first, { now: NOW })
    const third = await rotateKeySet(second, { now: NOW + 86_400_000 })
    expect(third.retired).toEqual([second.added])
    const fourth = await rotateKeySet(third, {
      now: NOW + 2 * 86_400_000,
      dropRetiredBefore: NOW / 1000 + 1,
    })
    expect(fourth.dropped).toEqual(['one'])
    expect(fourth.keys.map((k) => k['kid'])).toEqual([fourth.added, third.added, second.added])
    // Exactly at the cut-off is kept.
    const kept = await rotateKeySet(third, {
      now: NOW + 2 * 86_400_000,
      dropRetiredBefore: NOW / 1000,
    })
    expect(kept.dropped).toEqual([])
    expect((await loadKeySet(fourth)).keys).toHaveLength(3)
  })

  it.each([
    ['a non-finite now', { now: Number.NaN }],
    ['a non-finite cut-off', { now: NOW, dropRetiredBefore: Number.POSITIVE_INFINITY }],
  ])('rejects %s with a TypeError', async (_, options) => {
    await expect(rotateKeySet(await generateKeySet('EdDSA'), options)).rejects.toThrow(TypeError)
  })

  it('needs an alg when no key signs', async () => {
    const { keys } = await generateKeySet('EdDSA', { kid: 'one' })
    const allRetired = { keys: keys.map((k) => ({ ...k, key_ops: ['verify'] })) }
    await expect(rotateKeySet(allRetired, { now: NOW })).rejects.toThrow(TypeError)
    const rotated = await rotateKeySet(allRetired, { now: NOW, alg: 'EdDSA' })
    expect(rotated.retired).toEqual([])
  })
})
