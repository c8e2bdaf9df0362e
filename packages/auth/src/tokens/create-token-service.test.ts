import { describe, expect, it } from 'vitest'

import {
  ALGORITHMS,
  AUDIENCE,
  codeOf,
  ISSUER,
  NOW,
  NOW_S,
  serviceFor,
  signed,
  validClaims,
} from '../../tests/helpers/token-fixtures.ts'
import { createManualClock, createTokenService, loadKeySet, tokenIssuedAt } from '../index.ts'
import { testKeySet } from '../testing/index.ts'

function decodePart(token: string, index: number): unknown {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString())
}

/** `token` with its payload swapped for one naming `admin`: header and signature unchanged. */
function withAdminPayload(token: string): string {
  const [header, , signature] = token.split('.')
  const payload = Buffer.from(JSON.stringify(validClaims({ sub: 'admin' }))).toString('base64url')
  return `${header}.${payload}.${signature}`
}

describe('createTokenService options', () => {
  it.each([
    ['an empty issuer', { issuer: '' }],
    ['an empty audience', { audience: '' }],
    ['a negative skew', { clockSkew: -1 }],
    ['a skew over 300 s', { clockSkew: 301 }],
    ['a NaN skew', { clockSkew: Number.NaN }],
    ['a zero ttl', { accessTokenTtl: 0 }],
    ['a negative ttl', { accessTokenTtl: -5 }],
    ['a fractional ttl', { accessTokenTtl: 1.5 }],
    ['a ttl above the maximum', { accessTokenTtl: 3601 }],
    ['a zero maximum', { maxAccessTokenTtl: 0 }],
    ['a cache of 0 entries', { cache: { maxEntries: 0 } }],
    ['keys that are not a KeySet', { keys: { keys: [] } }],
  ])('refuses %s with a TypeError', async (_, overrides) => {
    const keys = await testKeySet('EdDSA')
    expect(() =>
      createTokenService({
        keys: keys.keySet,
        issuer: ISSUER,
        audience: AUDIENCE,
        ...(overrides as object),
      }),
    ).toThrow(TypeError)
  })

  it('accepts a ttl equal to a raised maximum', async () => {
    const keys = await testKeySet('EdDSA')
    expect(() =>
      createTokenService({
        keys: keys.keySet,
        issuer: ISSUER,
        audience: AUDIENCE,
        accessTokenTtl: 7200,
        maxAccessTokenTtl: 7200,
      }),
    ).not.toThrow()
  })
})

describe.each(ALGORITHMS)('issueAccessToken with %s', (alg) => {
  it('signs a token the verifier accepts, with exactly the expected header and claims', async () => {
    const keys = await testKeySet(alg)
    const { service } = serviceFor(keys)
    const issued = await service.issueAccessToken({
      sub: 'user-1',
      audience: AUDIENCE,
      clientId: 'warden',
    })
    expect(decodePart(issued.token, 0)).toStrictEqual({ alg, kid: keys.kid, typ: 'at+jwt' })
    const payload = decodePart(issued.token, 1) as Record<string, unknown>
    expect(Object.keys(payload)).toEqual(['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'client_id'])
    expect(payload).toEqual({
      iss: ISSUER,
      sub: 'user-1',
      aud: AUDIENCE,
      iat: NOW_S,
      exp: NOW_S + 900,
      jti: expect.stringMatching(/^[\w-]{30}$/),
      client_id: 'warden',
    })
    expect(issued.claims).toEqual(payload)
    expect(issued.expiresIn).toBe(900)
    expect(issued.expiresAt).toBe(NOW + 900_000)
    expect(service.verifyAccessToken(issued.token)).toEqual(issued.claims)
  })
})

describe('issueAccessToken', () => {
  it('adds roles, scope and tid only when given', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys)
    const issued = await service.issueAccessToken({
      sub: 'user-1',
      audience: AUDIENCE,
      clientId: 'warden',
      roles: ['admin', 'member'],
      scope: 'projects:read',
      tenantId: 'tenant-1',
    })
    expect(decodePart(issued.token, 1)).toMatchObject({
      roles: ['admin', 'member'],
      scope: 'projects:read',
      tid: 'tenant-1',
    })
    expect(Object.isFrozen(issued.claims)).toBe(true)
    expect(Object.isFrozen(issued.claims.roles)).toBe(true)
  })

  it('copies roles, so a later change to the caller’s array changes nothing', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys)
    const roles = ['member']
    const issued = await service.issueAccessToken({
      sub: 'u',
      audience: AUDIENCE,
      clientId: 'c',
      roles,
    })
    roles.push('admin')
    expect(issued.claims.roles).toEqual(['member'])
  })

  it('uses the ttl given, up to the maximum', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys)
    const issued = await service.issueAccessToken({
      sub: 'u',
      audience: AUDIENCE,
      clientId: 'c',
      ttl: 3600,
    })
    expect(issued.claims.exp - issued.claims.iat).toBe(3600)
    await expect(
      service.issueAccessToken({ sub: 'u', audience: AUDIENCE, clientId: 'c', ttl: 3601 }),
    ).rejects.toThrow(TypeError)
    await expect(
      service.issueAccessToken({ sub: 'u', audience: AUDIENCE, clientId: 'c', ttl: 0 }),
    ).rejects.toThrow(TypeError)
  })

  it.each([
    ['an empty sub', { sub: '' }],
    ['an empty audience', { audience: '' }],
    ['an empty clientId', { clientId: '' }],
    ['roles that are not strings', { roles: [1] }],
    ['a scope that is not a string', { scope: ['a'] }],
    ['a tenantId that is not a string', { tenantId: 7 }],
  ])('rejects %s with a TypeError', async (_, overrides) => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys)
    await expect(
      service.issueAccessToken({
        sub: 'u',
        audience: AUDIENCE,
        clientId: 'c',
        ...(overrides as object),
      }),
    ).rejects.toThrow(TypeError)
  })

  it('takes the time from the clock, to the millisecond in the jti', async () => {
    const keys = await testKeySet('EdDSA')
    const { service, clock } = serviceFor(keys)
    clock.set(NOW + 1234)
    const issued = await service.issueAccessToken({ sub: 'u', audience: AUDIENCE, clientId: 'c' })
    expect(issued.claims.iat).toBe(NOW_S + 1)
    expect(tokenIssuedAt(issued.claims)).toBe(NOW + 1234)
    const bytes = Buffer.from(issued.claims.jti, 'base64url')
    expect(bytes).toHaveLength(22)
    expect(bytes.readUIntBE(0, 6)).toBe(NOW + 1234)
  })

  it('gives every token a different jti', async () => {
    const keys = await testKeySet('HS256')
    const { service } = serviceFor(keys)
    const jtis = new Set<string>()
    for (let i = 0; i < 200; i++) {
      jtis.add(
        (await service.issueAccessToken({ sub: 'u', audience: AUDIENCE, clientId: 'c' })).claims
          .jti,
      )
    }
    expect(jtis.size).toBe(200)
  })
})

describe('tokenIssuedAt', () => {
  it('reads the millisecond from a 22-byte jti inside the iat second', () => {
    const jti = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0]), Buffer.alloc(16, 7)])
    jti.writeUIntBE(NOW + 999, 0, 6)
    expect(tokenIssuedAt({ iat: NOW_S, jti: jti.toString('base64url') })).toBe(NOW + 999)
  })

  it('falls back to iat for any other jti', () => {
    expect(tokenIssuedAt({ iat: NOW_S, jti: 'jti-1' })).toBe(NOW)
    expect(tokenIssuedAt({ iat: NOW_S, jti: Buffer.alloc(21).toString('base64url') })).toBe(NOW)
    expect(tokenIssuedAt({ iat: NOW_S, jti: `${Buffer.alloc(22).toString('base64url')}=` })).toBe(
      NOW,
    )
  })

  it('does not let a jti move the issue time out of the iat second', () => {
    const later = Buffer.alloc(22)
    later.writeUIntBE(NOW + 1000, 0, 6)
    const earlier = Buffer.alloc(22)
    earlier.writeUIntBE(NOW - 1, 0, 6)
    expect(tokenIssuedAt({ iat: NOW_S, jti: later.toString('base64url') })).toBe(NOW)
    expect(tokenIssuedAt({ iat: NOW_S, jti: earlier.toString('base64url') })).toBe(NOW)
  })
})

describe('verified-token cache', () => {
  it('returns the same frozen claims object on a hit', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: {} })
    const token = signed(keys, {
      payload: validClaims({ aud: ['x', AUDIENCE], roles: ['member'] }),
    })
    const first = service.verifyAccessToken(token)
    const second = service.verifyAccessToken(token)
    expect(second).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(Object.isFrozen(first.aud)).toBe(true)
    expect(Object.isFrozen(first.roles)).toBe(true)
    expect(() => first.roles!.push('admin')).toThrow(TypeError)
  })

  it('expires a cached token exactly at exp', async () => {
    const keys = await testKeySet('EdDSA')
    const { service, clock } = serviceFor(keys, { cache: {} })
    const token = signed(keys, { payload: validClaims({ exp: NOW_S + 60 }) })
    service.verifyAccessToken(token)
    clock.set(NOW + 60_000 - 1)
    expect(service.verifyAccessToken(token).sub).toBe('user-1')
    clock.set(NOW + 60_000)
    expect(codeOf(() => service.verifyAccessToken(token))).toBe('expired_token')
  })

  it('past exp defers to full verification, which applies the skew', async () => {
    const keys = await testKeySet('EdDSA')
    const { service, clock } = serviceFor(keys, { cache: {}, clockSkew: 30 })
    const token = signed(keys, { payload: validClaims({ exp: NOW_S + 60 }) })
    service.verifyAccessToken(token)
    clock.set(NOW + 60_000 + 10_000)
    expect(service.verifyAccessToken(token).sub).toBe('user-1')
    clock.set(NOW + 90_000)
    expect(codeOf(() => service.verifyAccessToken(token))).toBe('expired_token')
  })

  it('re-checks the audience on a hit', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: {} })
    const token = signed(keys)
    service.verifyAccessToken(token)
    expect(codeOf(() => service.verifyAccessToken(token, { audience: 'reports' }))).toBe(
      'wrong_audience',
    )
    expect(service.verifyAccessToken(token).sub).toBe('user-1')
  })

  it('misses for a token that differs by one character', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: {} })
    const token = signed(keys)
    service.verifyAccessToken(token)
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    expect(() => service.verifyAccessToken(token.slice(0, -1) + last)).toThrow()
  })

  it('misses for another token that carries the signature of a cached one', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: {} })
    const token = signed(keys)
    const cached = service.verifyAccessToken(token)
    const grafted = withAdminPayload(token)
    expect(codeOf(() => service.verifyAccessToken(grafted))).toBe('invalid_signature')
    expect(service.verifyAccessToken(token)).toBe(cached)
  })

  it('is dropped when the key set changes', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: {} })
    const token = signed(keys)
    service.verifyAccessToken(token)
    const other = await testKeySet('ES256')
    service.setKeys(other.keySet)
    expect(service.keys).toBe(other.keySet)
    expect(codeOf(() => service.verifyAccessToken(token))).toBe('invalid_signature')
    const issued = await service.issueAccessToken({ sub: 'u', audience: AUDIENCE, clientId: 'c' })
    expect(issued.token.split('.')[0]).toBe(
      Buffer.from(JSON.stringify({ alg: 'ES256', kid: other.kid, typ: 'at+jwt' })).toString(
        'base64url',
      ),
    )
  })

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const keys = await testKeySet('HS256')
    const { service } = serviceFor(keys, { cache: { maxEntries: 2 } })
    const tokens = ['a', 'b', 'c'].map((sub) => signed(keys, { payload: validClaims({ sub }) }))
    const first = tokens.map((token) => service.verifyAccessToken(token))
    // The newest two are hits (same object); the oldest was evicted (a new object).
    expect(service.verifyAccessToken(tokens[2]!)).toBe(first[2])
    expect(service.verifyAccessToken(tokens[1]!)).toBe(first[1])
    expect(service.verifyAccessToken(tokens[0]!)).not.toBe(first[0])
    expect(service.verifyAccessToken(tokens[0]!)).toEqual(first[0])
  })

  it('never caches a failure', async () => {
    const keys = await testKeySet('HS256')
    const clock = createManualClock(NOW)
    const { service } = serviceFor(keys, { cache: { maxEntries: 1 }, clock })
    const early = signed(keys, { payload: validClaims({ nbf: NOW_S + 10 }) })
    expect(codeOf(() => service.verifyAccessToken(early))).toBe('not_yet_valid')
    clock.set(NOW + 10_000)
    expect(service.verifyAccessToken(early).sub).toBe('user-1')
    // Garbage does not push out the one cached entry.
    const cached = service.verifyAccessToken(early)
    for (let i = 0; i < 20; i++) expect(() => service.verifyAccessToken(`garbage${i}`)).toThrow()
    expect(service.verifyAccessToken(early)).toBe(cached)
  })

  it('does not cache with cache: false', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: false })
    const token = signed(keys)
    expect(service.verifyAccessToken(token)).not.toBe(service.verifyAccessToken(token))
  })
})

describe('cachedAccessToken', () => {
  it('answers only a token that passed verifyAccessToken, with the same claims object', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: {} })
    const token = signed(keys)
    expect(service.cachedAccessToken(token)).toBeUndefined()
    const claims = service.verifyAccessToken(token)
    expect(service.cachedAccessToken(token)).toBe(claims)
  })

  it('verifies nothing: a forged or garbage string is only "not known"', async () => {
    const keys = await testKeySet('EdDSA')
    const { service } = serviceFor(keys, { cache: {} })
    const token = signed(keys)
    service.verifyAccessToken(token)
    const grafted = withAdminPayload(token)
    for (const other of [grafted, `${token} `, `${token}, x`, '', '.']) {
      expect(service.cachedAccessToken(other)).toBeUndefined()
    }
    // Nothing was cached by asking: the forged token still fails full verification.
    expect(codeOf(() => service.verifyAccessToken(grafted))).toBe('invalid_signature')
  })

  it('forgets the token at exp, for another audience, after a key change, and with the cache off', async () => {
    const keys = await testKeySet('EdDSA')
    const { service, clock } = serviceFor(keys, { cache: {} })
    const token = signed(keys, { payload: validClaims({ exp: NOW_S + 60 }) })
    service.verifyAccessToken(token)
    expect(service.cachedAccessToken(token, { audience: 'reports' })).toBeUndefined()
    clock.set(NOW + 60_000 - 1)
    expect(service.cachedAccessToken(token)?.sub).toBe('user-1')
    clock.set(NOW + 60_000)
    expect(service.cachedAccessToken(token)).toBeUndefined()

    clock.set(NOW)
    service.verifyAccessToken(token)
    service.setKeys((await testKeySet('ES256')).keySet)
    expect(service.cachedAccessToken(token)).toBeUndefined()

    const { service: uncached } = serviceFor(keys, { cache: false })
    uncached.verifyAccessToken(token)
    expect(uncached.cachedAccessToken(token)).toBeUndefined()
  })
})

describe('key rotation in a running service', () => {
  it('verifies tokens of a retired key and signs with the new one', async () => {
    const { generateKeySet, rotateKeySet } = await import('../index.ts')
    const initial = await generateKeySet('EdDSA')
    const before = await loadKeySet(initial)
    const clock = createManualClock(NOW)
    const service = createTokenService({ keys: before, issuer: ISSUER, audience: AUDIENCE, clock })
    const old = await service.issueAccessToken({ sub: 'u', audience: AUDIENCE, clientId: 'c' })
    const rotated = await rotateKeySet(initial, { now: NOW })
    service.setKeys(await loadKeySet(rotated))
    expect(service.verifyAccessToken(old.token).sub).toBe('u')
    const fresh = await service.issueAccessToken({ sub: 'u', audience: AUDIENCE, clientId: 'c' })
    expect(decodePart(fresh.token, 0)).toMatchObject({ kid: rotated.added })
  })
})
