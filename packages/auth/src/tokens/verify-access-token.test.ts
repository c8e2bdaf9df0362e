import { sign as cryptoSign, generateKeyPairSync } from 'node:crypto'

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'

import {
  ALGORITHMS,
  AUDIENCE,
  b64,
  codeOf,
  ISSUER,
  NOW,
  NOW_S,
  serviceFor,
  signed,
  signRaw,
  validClaims,
  validHeader,
} from '../../tests/helpers/token-fixtures.ts'
import { AuthError, loadKeySet } from '../index.ts'
import { forgeToken, testKeySet, type TestKeys } from '../testing/index.ts'

const keysByAlg = {} as Record<(typeof ALGORITHMS)[number], TestKeys>
beforeAll(async () => {
  for (const alg of ALGORITHMS) keysByAlg[alg] = await testKeySet(alg)
})

describe.each(ALGORITHMS)('verifyAccessToken with %s', (alg) => {
  let keys: TestKeys
  const verify = (token: unknown, options?: { audience?: string }) =>
    serviceFor(keys).service.verifyAccessToken(token as string, options)
  const code = (token: unknown) => codeOf(() => verify(token))

  beforeAll(() => {
    keys = keysByAlg[alg]
  })

  it('accepts a valid token and returns exactly its claims, frozen', () => {
    const claims = verify(
      signed(keys, {
        payload: validClaims({ roles: ['admin'], scope: 'a b', tid: 't1', nbf: NOW_S - 5 }),
      }),
    )
    expect(claims).toEqual(
      validClaims({ roles: ['admin'], scope: 'a b', tid: 't1', nbf: NOW_S - 5 }),
    )
    expect(Object.isFrozen(claims)).toBe(true)
    expect(Object.isFrozen(claims.roles)).toBe(true)
  })

  it('gives tokens with the same role list one shared frozen list, and others their own', () => {
    const rolesOf = (sub: string, roles: string[]) =>
      verify(signed(keys, { payload: validClaims({ sub, roles }) })).roles
    const first = rolesOf('user-1', ['admin', 'member'])
    expect(rolesOf('user-2', ['admin', 'member'])).toBe(first)
    expect(first).toEqual(['admin', 'member'])
    expect(() => first!.push('owner')).toThrow(TypeError)
    const joined = rolesOf('user-3', ['admin,member'])
    expect(joined).not.toBe(first)
    expect(joined).toEqual(['admin,member'])
    expect(rolesOf('user-4', ['member', 'admin'])).toEqual(['member', 'admin'])
  })

  it('drops claims it does not know', () => {
    const claims = verify(signed(keys, { payload: validClaims({ email: 'a@b.c' }) }))
    expect(claims).not.toHaveProperty('email')
  })

  describe('1. shape', () => {
    it.each([
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an object', { token: 'x' }],
      ['empty', ''],
    ])('refuses %s', (_, token) => {
      expect(code(token)).toBe('malformed_token')
    })

    it('accepts 8192 characters and refuses 8193', () => {
      // Pad the scope until the token is exactly 8192 characters. base64url never has a length
      // of 1 mod 4, so the header gets an extra member of varying length too.
      let token = ''
      outer: for (let extra = 0; extra < 4; extra++) {
        const header = validHeader(keys, { x: 'x'.repeat(extra) })
        for (let pad = 5000; pad < 6200; pad++) {
          token = signed(keys, { header, payload: validClaims({ scope: 's'.repeat(pad) }) })
          if (token.length === 8192) break outer
        }
      }
      expect(token.length).toBe(8192)
      expect(verify(token).sub).toBe('user-1')
      expect(code(`${token}A`)).toBe('malformed_token')
    })

    it('refuses a 1 MiB token', () => {
      expect(code(signed(keys, { payload: validClaims({ scope: 'x'.repeat(1 << 20) }) }))).toBe(
        'malformed_token',
      )
    })

    it.each([2, 4, 5, 6])('refuses %i segments', (count) => {
      const token = signed(keys)
      const [h, p, s] = token.split('.')
      const segments = [h, p, s, 'AAAA', 'AAAA', 'AAAA'].slice(0, count)
      expect(code(segments.join('.'))).toBe('malformed_token')
    })

    it('refuses a JWE (five segments)', () => {
      const header = b64(
        JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: keys.kid, typ: 'at+jwt' }),
      )
      expect(code(`${header}..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`)).toBe(
        'malformed_token',
      )
    })

    it.each(['+', '/', '=', ' ', '\n', '%', 'é', '\u0000'])('refuses %j in any segment', (char) => {
      const token = signed(keys)
      const [h, p, s] = token.split('.') as [string, string, string]
      expect(code(`${h}${char}.${p}.${s}`)).toBe('malformed_token')
      expect(code(`${h}.${char}${p}.${s}`)).toBe('malformed_token')
      expect(code(`${h}.${p}.${s}${char}`)).toBe('malformed_token')
    })

    it('refuses padded base64url', () => {
      const [h, p, s] = signed(keys).split('.') as [string, string, string]
      const padded = (x: string) => x + '='.repeat((4 - (x.length % 4)) % 4 || 4)
      expect(code(`${h}.${p}.${padded(s)}`)).toBe('malformed_token')
    })

    it('refuses a segment whose length is 1 mod 4', () => {
      const [h, p, s] = signed(keys).split('.') as [string, string, string]
      const extra = s.length % 4 === 0 ? 'A' : s.length % 4 === 2 ? 'AAA' : 'AA'
      expect(code(`${h}.${p}.${s}${extra}`)).toBe('malformed_token')
    })

    it('refuses a signature with non-zero unused bits even though it decodes to the same bytes', () => {
      const token = signed(keys)
      const signature = token.slice(token.lastIndexOf('.') + 1)
      expect(signature.length % 4).not.toBe(0)
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const last = alphabet.indexOf(signature.at(-1)!)
      const twin = `${signature.slice(0, -1)}${alphabet[last + 1]}`
      expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'))
      expect(code(`${token.slice(0, token.lastIndexOf('.') + 1)}${twin}`)).toBe('malformed_token')
    })
  })

  describe('2. header', () => {
    it.each([
      ['not JSON', '{"alg":'],
      ['an array', '["alg"]'],
      ['null', 'null'],
      ['a string', '"at+jwt"'],
    ])('refuses a header that is %s', (_, header) => {
      expect(code(signed(keys, { header }))).toBe('malformed_token')
    })

    it('refuses a header that is not UTF-8', () => {
      const header = Buffer.concat([
        Buffer.from(JSON.stringify(validHeader(keys)).slice(0, -1)),
        Buffer.from(',"x":"\xff"}', 'latin1'),
      ])
      expect(code(signRaw(keys, `${b64(header)}.${b64(JSON.stringify(validClaims()))}`))).toBe(
        'malformed_token',
      )
    })

    it('refuses duplicate header members, also when a name is escaped', () => {
      const h = validHeader(keys)
      const plain = `{"alg":"${h.alg}","kid":"${h.kid}","typ":"at+jwt","alg":"${h.alg}"}`
      const escaped = `{"alg":"${h.alg}","kid":"${h.kid}","typ":"at+jwt","a\\u006cg":"${h.alg}"}`
      expect(JSON.parse(escaped)).toEqual(h)
      expect(code(signed(keys, { header: plain }))).toBe('malformed_token')
      expect(code(signed(keys, { header: escaped }))).toBe('malformed_token')
    })

    it('accepts nested objects with repeated names inside the header', () => {
      expect(
        verify(signed(keys, { header: validHeader(keys, { ext: { a: 1, b: { a: 2 } } }) })).sub,
      ).toBe('user-1')
    })

    it('refuses a header over 1024 bytes', () => {
      expect(code(signed(keys, { header: validHeader(keys, { pad: 'x'.repeat(1024) }) }))).toBe(
        'malformed_token',
      )
    })

    it.each([
      ['missing', undefined],
      ['a number', 1],
      ['an array', [alg]],
    ])('refuses an alg that is %s', (_, value) => {
      expect(code(signed(keys, { header: validHeader(keys, { alg: value }) }))).toBe(
        'malformed_token',
      )
    })

    it.each(['none', 'None', 'NONE', 'nOnE'])(
      'refuses alg %s, with or without a signature',
      (none) => {
        const header = validHeader(keys, { alg: none })
        expect(code(forgeToken({ header, payload: validClaims() }))).toBe('unsupported_algorithm')
        expect(code(signed(keys, { header }))).toBe('unsupported_algorithm')
        expect(code(forgeToken({ header, payload: validClaims(), signature: 'AAAA' }))).toBe(
          'unsupported_algorithm',
        )
      },
    )

    it.each([
      'jwk',
      'jku',
      'x5u',
      'x5c',
      'x5t',
      'x5t#S256',
      'crit',
      'b64',
      'zip',
      'enc',
      'epk',
      'p2s',
      'p2c',
    ])('refuses the header member %s', (member) => {
      expect(code(signed(keys, { header: validHeader(keys, { [member]: 'x' }) }))).toBe(
        'malformed_token',
      )
    })

    it('refuses crit even when it names a member that is present', () => {
      const header = validHeader(keys, { crit: ['exp'], exp: NOW_S + 10 })
      expect(code(signed(keys, { header }))).toBe('malformed_token')
    })

    it.each([
      ['missing', undefined],
      ['JWT', 'JWT'],
      ['jwt', 'jwt'],
      ['at+jwt with a space', 'at+jwt '],
      ['application/jwt', 'application/jwt'],
      ['a number', 1],
    ])('refuses typ %s', (_, typ) => {
      expect(code(signed(keys, { header: validHeader(keys, { typ }) }))).toBe('wrong_type')
    })

    it.each(['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT'])(
      'accepts typ %s',
      (typ) => {
        expect(verify(signed(keys, { header: validHeader(keys, { typ }) })).sub).toBe('user-1')
      },
    )

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['a number', 7],
      ['an object', { $ne: null }],
      ['257 characters', 'k'.repeat(257)],
    ])('refuses a kid that is %s', (_, kid) => {
      expect(code(signed(keys, { header: validHeader(keys, { kid }) }))).toBe('malformed_token')
    })

    it('refuses a 10 000-character kid', () => {
      expect(code(signed(keys, { header: validHeader(keys, { kid: 'k'.repeat(10_000) }) }))).toBe(
        'malformed_token',
      )
    })

    it.each(['../../../../etc/passwd', "' OR '1'='1' --", 'unknown-kid', '\u0000', 'test-eddsa '])(
      'answers invalid_signature for the unknown kid %j',
      (kid) => {
        expect(code(signed(keys, { header: validHeader(keys, { kid }) }))).toBe('invalid_signature')
      },
    )
  })

  describe('3. the key decides the algorithm', () => {
    it.each(
      ['EdDSA', 'ES256', 'RS256', 'HS256', 'ES384', 'PS256', 'HS512', 'eddsa'].filter(
        (a) => a !== alg,
      ),
    )('refuses header alg %s', (other) => {
      expect(code(signed(keys, { header: validHeader(keys, { alg: other }) }))).toBe(
        'unsupported_algorithm',
      )
    })
  })

  describe('4. signature', () => {
    it('refuses a stripped signature', () => {
      const token = signed(keys)
      expect(code(token.slice(0, token.lastIndexOf('.') + 1))).toBe('invalid_signature')
    })

    it('refuses a truncated signature', () => {
      const token = signed(keys)
      const dot = token.lastIndexOf('.')
      // Whole bytes (a multiple of 4 characters), so the shorter signature is still canonical.
      const keep = Math.floor((token.length - dot - 1) / 4) * 4 - 4
      expect(code(token.slice(0, dot + 1 + keep))).toBe('invalid_signature')
    })

    it('refuses the signature of another token', () => {
      const a = signed(keys, { payload: validClaims({ sub: 'alice' }) })
      const b = signed(keys, { payload: validClaims({ sub: 'bob' }) })
      expect(code(`${a.slice(0, a.lastIndexOf('.'))}${b.slice(b.lastIndexOf('.'))}`)).toBe(
        'invalid_signature',
      )
    })

    it('refuses a payload changed after signing', () => {
      const token = signed(keys)
      const [h, , s] = token.split('.')
      const tampered = b64(JSON.stringify(validClaims({ roles: ['admin'] })))
      expect(code(`${h}.${tampered}.${s}`)).toBe('invalid_signature')
    })

    it('checks the signature before the claims', () => {
      const token = forgeToken({
        header: validHeader(keys),
        payload: { scope: 'no required claims' },
        signature: b64(Buffer.alloc(64)),
      })
      expect(code(token)).toBe('invalid_signature')
    })
  })

  describe('5. payload', () => {
    it.each([
      ['not JSON', '{"sub":'],
      ['an array', '[1,2]'],
      ['a number', '17'],
      ['null', 'null'],
    ])('refuses a payload that is %s', (_, payload) => {
      expect(code(signed(keys, { payload }))).toBe('malformed_token')
    })

    it('refuses duplicate claims, also when a name is escaped', () => {
      const json = JSON.stringify(validClaims())
      expect(code(signed(keys, { payload: `${json.slice(0, -1)},"sub":"admin"}` }))).toBe(
        'malformed_token',
      )
      expect(code(signed(keys, { payload: `${json.slice(0, -1)},"s\\u0075b":"admin"}` }))).toBe(
        'malformed_token',
      )
      expect(
        code(signed(keys, { payload: `${json.slice(0, -1)},"__proto__":1,"__proto__":2}` })),
      ).toBe('malformed_token')
    })

    it('refuses a payload that is not UTF-8, even correctly signed', () => {
      const [h] = signed(keys).split('.')
      const payload = Buffer.concat([
        Buffer.from(JSON.stringify(validClaims()).slice(0, -1)),
        Buffer.from(',"n":"\xc3\x28"}', 'latin1'),
      ])
      expect(code(signRaw(keys, `${h}.${b64(payload)}`))).toBe('malformed_token')
    })

    it('accepts a payload with a real U+FFFD character', () => {
      expect(verify(signed(keys, { payload: validClaims({ sub: 'u\uFFFD' }) })).sub).toBe('u\uFFFD')
    })
  })

  describe('6. required claims and types', () => {
    it.each(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'])(
      'refuses a token without %s',
      (claim) => {
        expect(code(signed(keys, { payload: validClaims({ [claim]: undefined }) }))).toBe(
          'missing_claim',
        )
      },
    )

    it.each([
      ['exp as a string', { exp: String(NOW_S + 600) }],
      ['exp as a float', { exp: NOW_S + 600.5 }],
      ['exp of 2^53', { exp: 2 ** 53 }],
      ['exp as null', { exp: null }],
      ['iat as a string', { iat: String(NOW_S) }],
      ['iat as a float', { iat: NOW_S - 0.5 }],
      ['nbf as a float', { nbf: NOW_S - 0.5 }],
      ['nbf as a string', { nbf: 'yesterday' }],
      ['sub empty', { sub: '' }],
      ['sub a number', { sub: 1 }],
      ['jti a number', { jti: 1 }],
      ['jti empty', { jti: '' }],
      ['client_id empty', { client_id: '' }],
      ['client_id an array', { client_id: ['a'] }],
      ['iss a number', { iss: 1 }],
      ['aud an empty array', { aud: [] }],
      ['aud with a number', { aud: [AUDIENCE, 1] }],
      ['aud an object', { aud: { AUDIENCE } }],
      ['roles a string', { roles: 'admin' }],
      ['roles with a number', { roles: ['admin', 1] }],
      ['scope an array', { scope: ['a'] }],
      ['tid a number', { tid: 5 }],
    ])('refuses %s', (_, overrides) => {
      expect(code(signed(keys, { payload: validClaims(overrides) }))).toBe('malformed_token')
    })

    it.each(['1e400', '-1e400', '1.7976931348623157e309', '99999999999999999999'])(
      'refuses exp %s',
      (exp) => {
        const payload = JSON.stringify(validClaims({ exp: 0 })).replace('"exp":0', `"exp":${exp}`)
        expect(code(signed(keys, { payload }))).toBe('malformed_token')
      },
    )

    it('treats a negative exp as expired', () => {
      expect(code(signed(keys, { payload: validClaims({ exp: -1, iat: -100 }) }))).toBe(
        'expired_token',
      )
    })
  })

  describe('7. issuer and audience', () => {
    it.each([`${ISSUER}/`, ISSUER.toUpperCase(), 'https://evil.test', ` ${ISSUER}`])(
      'refuses iss %j',
      (iss) => {
        expect(code(signed(keys, { payload: validClaims({ iss }) }))).toBe('wrong_issuer')
      },
    )

    it('refuses another audience', () => {
      expect(code(signed(keys, { payload: validClaims({ aud: 'other-api' }) }))).toBe(
        'wrong_audience',
      )
    })

    it('refuses an aud array without ours', () => {
      expect(
        code(signed(keys, { payload: validClaims({ aud: ['a', 'b', `${AUDIENCE} `] }) })),
      ).toBe('wrong_audience')
    })

    it('accepts an aud array with ours', () => {
      expect(verify(signed(keys, { payload: validClaims({ aud: ['a', AUDIENCE] }) })).aud).toEqual([
        'a',
        AUDIENCE,
      ])
    })

    it('checks the audience asked for instead of the default', () => {
      const token = signed(keys, { payload: validClaims({ aud: 'reports' }) })
      expect(verify(token, { audience: 'reports' }).aud).toBe('reports')
      expect(codeOf(() => verify(token))).toBe('wrong_audience')
    })
  })

  describe('8. time', () => {
    const at = (ms: number, payload: Record<string, unknown>, clockSkew = 0) => {
      const { service, clock } = serviceFor(keys, { clockSkew })
      clock.set(ms)
      return () => service.verifyAccessToken(signed(keys, { payload }))
    }

    it('is valid until the millisecond before exp, expired at exp', () => {
      const payload = validClaims({ exp: NOW_S + 60 })
      expect(at(NOW + 60_000 - 1, payload)().sub).toBe('user-1')
      expect(codeOf(at(NOW + 60_000, payload))).toBe('expired_token')
    })

    it('gives exp the skew as leeway', () => {
      const payload = validClaims({ exp: NOW_S + 60 })
      expect(at(NOW + 90_000 - 1, payload, 30)().sub).toBe('user-1')
      expect(codeOf(at(NOW + 90_000, payload, 30))).toBe('expired_token')
    })

    it('refuses nbf in the future, to the millisecond', () => {
      const payload = validClaims({ nbf: NOW_S + 60 })
      expect(codeOf(at(NOW + 60_000 - 1, payload))).toBe('not_yet_valid')
      expect(at(NOW + 60_000, payload)().sub).toBe('user-1')
      expect(at(NOW + 30_000, payload, 30)().sub).toBe('user-1')
      expect(codeOf(at(NOW + 30_000 - 1, payload, 30))).toBe('not_yet_valid')
    })

    it('refuses iat in the future, to the millisecond', () => {
      const payload = validClaims({ iat: NOW_S + 60 })
      expect(codeOf(at(NOW + 60_000 - 1, payload))).toBe('not_yet_valid')
      expect(at(NOW + 60_000, payload)().sub).toBe('user-1')
      expect(at(NOW + 50_000, payload, 10)().sub).toBe('user-1')
    })

    it('answers expired before not yet valid', () => {
      expect(codeOf(at(NOW, validClaims({ exp: NOW_S - 1, nbf: NOW_S + 10 })))).toBe(
        'expired_token',
      )
    })
  })

  describe('properties', () => {
    it('refuses every single-character change of a valid token', () => {
      const token = signed(keys, {
        payload: validClaims({ roles: ['member'], scope: 'a b', tid: 't' }),
      })
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const { service } = serviceFor(keys)
      fc.assert(
        fc.property(
          fc.nat({ max: token.length - 1 }),
          fc.oneof(
            fc.constantFrom(...alphabet.split('')),
            fc.constantFrom('.', '=', '+', '/', ' '),
            fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
          ),
          (position, char) => {
            fc.pre(token[position] !== char)
            const changed = token.slice(0, position) + char + token.slice(position + 1)
            expect(() => service.verifyAccessToken(changed)).toThrow(AuthError)
          },
        ),
        { numRuns: 1500 },
      )
    })

    it('never accepts random strings and throws only AuthError', () => {
      const { service } = serviceFor(keys)
      const segment = fc.string({
        unit: fc.constantFrom(...'AQgw_-az09.'.split('')),
        maxLength: 60,
      })
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc.string({ unit: 'binary' }),
            segment,
            fc.tuple(segment, segment, segment).map((s) => s.join('.')),
          ),
          (random) => {
            expect(() => service.verifyAccessToken(random)).toThrow(AuthError)
          },
        ),
        { numRuns: 1000 },
      )
    })

    it('never accepts a random header or payload signed with the right key unless it is valid', () => {
      const { service } = serviceFor(keys)
      fc.assert(
        fc.property(fc.json(), fc.json(), (header, payload) => {
          expect(() => service.verifyAccessToken(signed(keys, { header, payload }))).toThrow(
            AuthError,
          )
        }),
        { numRuns: 300 },
      )
    })
  })
})

describe('attacks on an EdDSA server', () => {
  let keys: TestKeys
  beforeAll(() => {
    keys = keysByAlg.EdDSA
  })
  const code = (token: string) => codeOf(() => serviceFor(keys).service.verifyAccessToken(token))

  it.each([
    [
      'PEM',
      () => Buffer.from(keys.verificationKey.export({ format: 'pem', type: 'spki' }) as string),
    ],
    ['DER', () => keys.verificationKey.export({ format: 'der', type: 'spki' })],
    ['JWK JSON', () => Buffer.from(JSON.stringify(keys.verificationKey.export({ format: 'jwk' })))],
    [
      'JWK JSON of publicJwks()',
      () => Buffer.from(JSON.stringify(keys.keySet.publicJwks().keys[0])),
    ],
    [
      'raw x',
      () => Buffer.from(String(keys.verificationKey.export({ format: 'jwk' }).x), 'base64url'),
    ],
  ])('refuses HS256 keyed with the public key as %s', (_, secret) => {
    const token = forgeToken({
      header: validHeader(keys, { alg: 'HS256' }),
      payload: validClaims(),
      sign: { alg: 'HS256', key: secret() },
    })
    expect(code(token)).toBe('unsupported_algorithm')
  })

  it('refuses an embedded jwk with the attacker’s own key', () => {
    const attacker = generateKeyPairSync('ed25519')
    const jwk = attacker.publicKey.export({ format: 'jwk' })
    const token = forgeToken({
      header: validHeader(keys, { jwk }),
      payload: validClaims({ roles: ['admin'] }),
      sign: { alg: 'EdDSA', key: attacker.privateKey },
    })
    expect(code(token)).toBe('malformed_token')
    const withoutKid = forgeToken({
      header: { alg: 'EdDSA', typ: 'at+jwt', jwk },
      payload: validClaims(),
      sign: { alg: 'EdDSA', key: attacker.privateKey },
    })
    expect(code(withoutKid)).toBe('malformed_token')
  })

  it.each(['jku', 'x5u'])('refuses %s pointing elsewhere', (member) => {
    const token = signed(keys, {
      header: validHeader(keys, { [member]: 'https://evil.test/jwks.json' }),
    })
    expect(code(token)).toBe('malformed_token')
  })

  it('refuses a token signed by another EdDSA key under our kid', () => {
    const attacker = generateKeyPairSync('ed25519')
    const token = forgeToken({
      header: validHeader(keys),
      payload: validClaims(),
      sign: { alg: 'EdDSA', key: attacker.privateKey },
    })
    expect(code(token)).toBe('invalid_signature')
  })
})

describe('ES256 specifics', () => {
  let keys: TestKeys
  beforeAll(() => {
    keys = keysByAlg.ES256
  })
  const code = (token: string) => codeOf(() => serviceFor(keys).service.verifyAccessToken(token))

  it('refuses the all-zero signature (r = s = 0, CVE-2022-21449)', () => {
    const token = forgeToken({
      header: validHeader(keys),
      payload: validClaims(),
      signature: b64(Buffer.alloc(64)),
    })
    expect(code(token)).toBe('invalid_signature')
  })

  it('refuses r = s = n (the curve order), which reduces to zero', () => {
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')
    const token = forgeToken({
      header: validHeader(keys),
      payload: validClaims(),
      signature: b64(Buffer.concat([n, n])),
    })
    expect(code(token)).toBe('invalid_signature')
  })

  it('refuses a DER-encoded signature of the right data', () => {
    const token = signed(keys)
    const input = token.slice(0, token.lastIndexOf('.'))
    const der = cryptoSign('sha256', Buffer.from(input), keys.signingKey)
    expect(code(`${input}.${b64(der)}`)).toBe('invalid_signature')
  })

  it('refuses a signature one byte too long', () => {
    const token = signed(keys)
    const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')
    expect(
      code(
        `${token.slice(0, token.lastIndexOf('.'))}.${b64(Buffer.concat([signature, Buffer.alloc(1)]))}`,
      ),
    ).toBe('invalid_signature')
  })
})

describe('key sets with several kinds of key', () => {
  it('never lets a token pick a different algorithm for a kid', async () => {
    const eddsa = keysByAlg.EdDSA
    const hs = keysByAlg.HS256
    const keySet = await loadKeySet({ keys: [...eddsa.jwks.keys, ...hs.jwks.keys] })
    const { createTokenService } = await import('../index.ts')
    const service = createTokenService({
      keys: keySet,
      issuer: ISSUER,
      audience: AUDIENCE,
      clock: { now: () => NOW },
      cache: false,
    })
    // EdDSA header under the HMAC key's kid, and HS256 header under the EdDSA key's kid.
    const a = forgeToken({
      header: validHeader(hs, { alg: 'EdDSA' }),
      payload: validClaims(),
      sign: { alg: 'EdDSA', key: eddsa.signingKey },
    })
    const b = forgeToken({
      header: validHeader(eddsa, { alg: 'HS256' }),
      payload: validClaims(),
      sign: { alg: 'HS256', key: hs.signingKey },
    })
    expect(codeOf(() => service.verifyAccessToken(a))).toBe('unsupported_algorithm')
    expect(codeOf(() => service.verifyAccessToken(b))).toBe('unsupported_algorithm')
    expect(service.verifyAccessToken(signed(hs)).sub).toBe('user-1')
    expect(service.verifyAccessToken(signed(eddsa)).sub).toBe('user-1')
  })
})
