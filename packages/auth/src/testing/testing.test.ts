import { verify } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { forgeToken, testKeySet } from './index.ts'

describe('forgeToken', () => {
  it('encodes header and payload as given, objects or raw JSON', () => {
    const token = forgeToken({ header: '{"alg":"none","alg":"none"}', payload: { scope: 'x' } })
    const [h, p, s] = token.split('.')
    expect(Buffer.from(h!, 'base64url').toString()).toBe('{"alg":"none","alg":"none"}')
    expect(Buffer.from(p!, 'base64url').toString()).toBe('{"scope":"x"}')
    expect(s).toBe('')
  })

  it('signs with the requested algorithm and key', async () => {
    const keys = await testKeySet('EdDSA')
    const token = forgeToken({
      header: { alg: 'EdDSA' },
      payload: {},
      sign: { alg: 'EdDSA', key: keys.signingKey },
    })
    const dot = token.lastIndexOf('.')
    expect(
      verify(
        null,
        Buffer.from(token.slice(0, dot)),
        keys.verificationKey,
        Buffer.from(token.slice(dot + 1), 'base64url'),
      ),
    ).toBe(true)
  })

  it('signs HS256 with raw bytes, e.g. a public key used as an HMAC secret', () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: {},
      sign: { alg: 'HS256', key: Buffer.from('pem') },
    })
    expect(token.split('.')[2]).toHaveLength(43)
  })

  it('overrides the signature', () => {
    expect(forgeToken({ header: {}, payload: {}, signature: 'abc' }).endsWith('.abc')).toBe(true)
  })

  it('refuses raw bytes for an asymmetric algorithm', () => {
    expect(() =>
      forgeToken({ header: {}, payload: {}, sign: { alg: 'ES256', key: Buffer.alloc(32) } }),
    ).toThrow(TypeError)
  })
})

describe('testKeySet', () => {
  it('is cached per algorithm', async () => {
    expect(await testKeySet('ES256')).toBe(await testKeySet('ES256'))
    expect(await testKeySet('ES256')).not.toBe(await testKeySet('EdDSA'))
  })

  it('gives the loaded set, its JWKs and both key objects', async () => {
    const rs = await testKeySet('RS256')
    expect(rs.keySet.signingKey.kid).toBe(rs.kid)
    expect(rs.jwks.keys[0]!['kid']).toBe(rs.kid)
    expect(rs.signingKey.type).toBe('private')
    expect(rs.verificationKey.type).toBe('public')
    const hs = await testKeySet('HS256')
    expect(hs.signingKey.type).toBe('secret')
    expect(hs.verificationKey).toBe(hs.signingKey)
  })
})
