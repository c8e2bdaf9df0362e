import { constants, createHmac, sign as cryptoSign } from 'node:crypto'

import fc from 'fast-check'
import { jwtVerify, type JWTVerifyOptions } from 'jose'
import { describe, expect, it } from 'vitest'

import {
  ALGORITHMS,
  AUDIENCE,
  b64,
  ISSUER,
  NOW,
  NOW_S,
  serviceFor,
  signed,
  signRaw,
  validClaims,
  validHeader,
} from '../../tests/helpers/token-fixtures.ts'
import { forgeToken, testKeySet, type TestKeys } from '../testing/index.ts'

const REQUIRED = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id']

/** jose's jwtVerify configured as strictly as it allows. */
function strictJose(keys: TestKeys, nowMs: number): JWTVerifyOptions {
  return {
    algorithms: [keys.alg],
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: 'at+jwt',
    requiredClaims: REQUIRED,
    currentDate: new Date(nowMs),
    // Only here to make jose refuse a future iat; no token in the corpus is this old.
    maxTokenAge: 10 * 365 * 86_400,
  }
}

function withoutMaxTokenAge(options: JWTVerifyOptions): JWTVerifyOptions {
  const { maxTokenAge: _, ...rest } = options
  return rest
}

async function joseAccepts(
  token: string,
  keys: TestKeys,
  options: JWTVerifyOptions,
): Promise<boolean> {
  try {
    await jwtVerify(token, keys.verificationKey, options)
    return true
  } catch {
    return false
  }
}

function wardenAccepts(token: string, keys: TestKeys, nowMs: number): boolean {
  const { service, clock } = serviceFor(keys)
  clock.set(nowMs)
  try {
    service.verifyAccessToken(token)
    return true
  } catch {
    return false
  }
}

/** Tokens on which both verifiers must agree, with the instant to verify them at. */
function corpus(keys: TestKeys): [string, string, number][] {
  const token = signed(keys)
  const [h, p, s] = token.split('.') as [string, string, string]
  const at = (payload: Record<string, unknown>) => signed(keys, { payload })
  const withHeader = (header: Record<string, unknown>) => signed(keys, { header })
  const cases: [string, string, number][] = [
    ['valid', token, NOW],
    ['valid, aud array', at(validClaims({ aud: ['other', AUDIENCE] })), NOW],
    ['valid, nbf now', at(validClaims({ nbf: NOW_S })), NOW],
    ['valid, roles/scope/tid', at(validClaims({ roles: ['a'], scope: 'x y', tid: 't' })), NOW],
    [
      'valid, typ application/at+jwt',
      withHeader(validHeader(keys, { typ: 'application/at+jwt' })),
      NOW,
    ],
    ['valid, one ms before exp', token, (NOW_S + 600) * 1000 - 1],
    ['expired at exp', token, (NOW_S + 600) * 1000],
    ['expired long ago', token, (NOW_S + 6000) * 1000],
    ['nbf in the future', at(validClaims({ nbf: NOW_S + 1 })), NOW],
    ['iat in the future', at(validClaims({ iat: NOW_S + 1 })), NOW],
    ['wrong iss', at(validClaims({ iss: 'https://evil.test' })), NOW],
    ['wrong aud', at(validClaims({ aud: 'other' })), NOW],
    ['aud array without ours', at(validClaims({ aud: ['a', 'b'] })), NOW],
    ...REQUIRED.map((claim): [string, string, number] => [
      `no ${claim}`,
      at(validClaims({ [claim]: undefined })),
      NOW,
    ]),
    ['exp a string', at(validClaims({ exp: String(NOW_S + 600) })), NOW],
    ['iat a string', at(validClaims({ iat: String(NOW_S) })), NOW],
    ['typ JWT', withHeader(validHeader(keys, { typ: 'JWT' })), NOW],
    ['typ missing', withHeader(validHeader(keys, { typ: undefined })), NOW],
    [
      'alg none, unsigned',
      forgeToken({ header: validHeader(keys, { alg: 'none' }), payload: validClaims() }),
      NOW,
    ],
    [
      'alg of another family',
      withHeader(validHeader(keys, { alg: keys.alg === 'HS256' ? 'RS256' : 'HS256' })),
      NOW,
    ],
    ['crit unknown', withHeader(validHeader(keys, { crit: ['x-custom'], 'x-custom': 1 })), NOW],
    [
      'signature of another token',
      `${h}.${p}.${signed(keys, { payload: validClaims({ sub: 'x' }) }).split('.')[2]}`,
      NOW,
    ],
    ['payload tampered', `${h}.${b64(JSON.stringify(validClaims({ sub: 'admin' })))}.${s}`, NOW],
    ['signature stripped', `${h}.${p}.`, NOW],
    ['header not JSON', signRaw(keys, `${b64('{"alg"')}.${p}`), NOW],
    ['payload not JSON', signRaw(keys, `${h}.${b64('{"sub"')}`), NOW],
    ['payload an array', signRaw(keys, `${h}.${b64('[]')}`), NOW],
    ['payload not UTF-8', signRaw(keys, `${h}.${b64(Buffer.from([0x7b, 0xff, 0x7d]))}`), NOW],
    ['two segments', `${h}.${p}`, NOW],
    ['four segments', `${token}.${s}`, NOW],
    ['JWE', `${h}.${p}.AAAA.AAAA.AAAA`, NOW],
  ]
  return cases
}

describe.each(ALGORITHMS)('differential against jose jwtVerify (%s)', (alg) => {
  it('accepts exactly the tokens strict jose accepts on the shared corpus', async () => {
    const keys = await testKeySet(alg)
    const outcomes = await Promise.all(
      corpus(keys).map(async ([name, token, nowMs]) => ({
        name,
        warden: wardenAccepts(token, keys, nowMs),
        jose: await joseAccepts(token, keys, strictJose(keys, nowMs)),
      })),
    )
    expect(outcomes.filter((o) => o.warden !== o.jose)).toEqual([])
    // The corpus holds both kinds, so agreement is not vacuous.
    expect(outcomes.filter((o) => o.warden).length).toBe(6)
  })

  it('accepts nothing that strict jose refuses, over random claim sets', async () => {
    const keys = await testKeySet(alg)
    const value = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(ISSUER, AUDIENCE, 'x', '', NOW_S - 1, NOW_S, NOW_S + 1, NOW_S + 0.5, -1),
      fc.array(fc.constantFrom(AUDIENCE, 'x'), { maxLength: 2 }),
    )
    const claims = fc.record({
      iss: value,
      sub: value,
      aud: value,
      exp: value,
      iat: value,
      nbf: value,
      jti: value,
      client_id: value,
    })
    await fc.assert(
      fc.asyncProperty(claims, async (overrides) => {
        const token = signed(keys, { payload: validClaims(overrides) })
        if (wardenAccepts(token, keys, NOW)) {
          expect(await joseAccepts(token, keys, strictJose(keys, NOW))).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('where Warden is stricter than even strict jose', () => {
  it.each([
    [
      'exp as a float',
      (k: TestKeys) => signed(k, { payload: validClaims({ exp: NOW_S + 600.5 }) }),
    ],
    ['jti a number', (k: TestKeys) => signed(k, { payload: validClaims({ jti: 42 }) })],
    ['client_id empty', (k: TestKeys) => signed(k, { payload: validClaims({ client_id: '' }) })],
    ['sub empty', (k: TestKeys) => signed(k, { payload: validClaims({ sub: '' }) })],
    [
      'roles not an array',
      (k: TestKeys) => signed(k, { payload: validClaims({ roles: 'admin' }) }),
    ],
    ['no kid', (k: TestKeys) => signed(k, { header: validHeader(k, { kid: undefined }) })],
    [
      'an embedded jwk header',
      (k: TestKeys) => signed(k, { header: validHeader(k, { jwk: { kty: 'OKP' } }) }),
    ],
    [
      'a jku header',
      (k: TestKeys) => signed(k, { header: validHeader(k, { jku: 'https://evil.test/jwks' }) }),
    ],
    [
      'an x5u header',
      (k: TestKeys) => signed(k, { header: validHeader(k, { x5u: 'https://evil.test/cert' }) }),
    ],
    [
      'duplicate claims',
      (k: TestKeys) =>
        signed(k, { payload: `${JSON.stringify(validClaims()).slice(0, -1)},"sub":"admin"}` }),
    ],
    [
      'duplicate header members',
      (k: TestKeys) =>
        signed(k, { header: `${JSON.stringify(validHeader(k)).slice(0, -1)},"typ":"at+jwt"}` }),
    ],
    [
      'a non-canonical signature encoding',
      (k: TestKeys) => {
        const token = signed(k)
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        return `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) + 1]!}`
      },
    ],
  ])('refuses %s, which strict jose accepts', async (_, make) => {
    const keys = await testKeySet('EdDSA')
    const token = make(keys)
    expect(await joseAccepts(token, keys, strictJose(keys, NOW))).toBe(true)
    expect(wardenAccepts(token, keys, NOW)).toBe(false)
  })
})

describe('jose defaults that are holes, and Warden refusing each', () => {
  const lenient = (nowMs: number): JWTVerifyOptions => ({
    issuer: ISSUER,
    audience: AUDIENCE,
    currentDate: new Date(nowMs),
  })

  it('exp is optional unless requiredClaims names it', async () => {
    const keys = await testKeySet('EdDSA')
    const token = signed(keys, { payload: validClaims({ exp: undefined }) })
    expect(await joseAccepts(token, keys, lenient(NOW))).toBe(true)
    expect(wardenAccepts(token, keys, NOW)).toBe(false)
  })

  it('exp: 1e400 parses to Infinity and never expires, even with requiredClaims', async () => {
    const keys = await testKeySet('EdDSA')
    const payload = JSON.stringify(validClaims({ exp: 0 })).replace('"exp":0', '"exp":1e400')
    const token = signed(keys, { payload })
    const farFuture = NOW + 5 * 365 * 86_400_000
    expect(await joseAccepts(token, keys, strictJose(keys, farFuture))).toBe(true)
    expect(wardenAccepts(token, keys, farFuture)).toBe(false)
    expect(wardenAccepts(token, keys, NOW)).toBe(false)
  })

  it('without algorithms, jose accepts PS256 with an RS256 key', async () => {
    const keys = await testKeySet('RS256')
    const input = `${b64(JSON.stringify(validHeader(keys, { alg: 'PS256' })))}.${b64(JSON.stringify(validClaims()))}`
    const signature = cryptoSign('sha256', Buffer.from(input), {
      key: keys.signingKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    })
    const token = `${input}.${b64(signature)}`
    expect(await joseAccepts(token, keys, { ...lenient(NOW), typ: 'at+jwt' })).toBe(true)
    expect(await joseAccepts(token, keys, strictJose(keys, NOW))).toBe(false)
    expect(wardenAccepts(token, keys, NOW)).toBe(false)
  })

  it('without algorithms, jose accepts HS512 with an HS256 secret', async () => {
    const keys = await testKeySet('HS256')
    const input = `${b64(JSON.stringify(validHeader(keys, { alg: 'HS512' })))}.${b64(JSON.stringify(validClaims()))}`
    const token = `${input}.${createHmac('sha512', keys.signingKey).update(input).digest('base64url')}`
    expect(await joseAccepts(token, keys, lenient(NOW))).toBe(true)
    expect(wardenAccepts(token, keys, NOW)).toBe(false)
  })

  it('without maxTokenAge, a future iat is accepted', async () => {
    const keys = await testKeySet('EdDSA')
    const token = signed(keys, { payload: validClaims({ iat: NOW_S + 86_400 }) })
    expect(await joseAccepts(token, keys, withoutMaxTokenAge(strictJose(keys, NOW)))).toBe(true)
    expect(wardenAccepts(token, keys, NOW)).toBe(false)
  })
})
