import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import {
  AuthError,
  buildChallenge,
  challengeFor,
  parseChallenge,
  tokenErrorCodes,
  type AuthErrorCode,
} from '../index.ts'

describe('buildChallenge', () => {
  it('builds the bare challenge', () => {
    expect(buildChallenge()).toBe('Bearer realm="warden"')
  })

  it('builds an invalid_token challenge', () => {
    expect(buildChallenge({ error: 'invalid_token', errorDescription: 'expired_token' })).toBe(
      'Bearer realm="warden", error="invalid_token", error_description="expired_token"',
    )
  })

  it('adds scope and another realm', () => {
    expect(buildChallenge({ realm: 'api', error: 'insufficient_scope', scope: 'a b' })).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="a b"',
    )
  })

  it('escapes backslashes and quotes (RFC 9110 §5.6.4)', () => {
    expect(buildChallenge({ realm: 'a"b\\c' })).toBe('Bearer realm="a\\"b\\\\c"')
  })

  it.each(['\r\n', '\u0000', '\u007f', 'é', 'x\ny'])('refuses %j with a TypeError', (value) => {
    expect(() => buildChallenge({ errorDescription: value })).toThrow(TypeError)
    expect(() => buildChallenge({ realm: value })).toThrow(TypeError)
  })
})

describe('challengeFor', () => {
  const challenge = (code: AuthErrorCode) => challengeFor(new AuthError(code))

  it('answers missing_token with the bare challenge', () => {
    expect(challenge('missing_token')).toEqual({
      status: 401,
      wwwAuthenticate: 'Bearer realm="warden"',
    })
  })

  it.each([...tokenErrorCodes])('answers %s with invalid_token and the code', (code) => {
    expect(challenge(code)).toEqual({
      status: 401,
      wwwAuthenticate: `Bearer realm="warden", error="invalid_token", error_description="${code}"`,
    })
  })

  it('answers insufficient_scope with 403', () => {
    expect(challenge('insufficient_scope')).toEqual({
      status: 403,
      wwwAuthenticate: 'Bearer realm="warden", error="insufficient_scope"',
    })
  })

  it('answers invalid_request with 400', () => {
    expect(challenge('invalid_request')).toEqual({
      status: 400,
      wwwAuthenticate: 'Bearer realm="warden", error="invalid_request"',
    })
  })

  it.each([
    'invalid_credentials',
    'invalid_refresh_token',
    'refresh_reused',
    'refresh_expired',
    'refresh_revoked',
  ] as const)('answers %s with 401 and the bare challenge', (code) => {
    expect(challenge(code)).toEqual({ status: 401, wwwAuthenticate: 'Bearer realm="warden"' })
  })

  it.each([
    ['rate_limited', 429],
    ['overloaded', 503],
    ['weak_password', 400],
  ] as const)('answers %s with %i and no header', (code, status) => {
    expect(challenge(code)).toStrictEqual({ status })
  })

  it('shares one frozen answer per code', () => {
    const first = challenge('expired_token')
    expect(challenge('expired_token')).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(challenge('wrong_issuer')).not.toBe(first)
  })

  it.each(['__proto__', 'constructor', 'toString', 'no_such_code'])(
    'answers an unknown code (%s, from untyped JavaScript) with the bare 401',
    (code) => {
      expect(challenge(code as AuthErrorCode)).toStrictEqual({
        status: 401,
        wwwAuthenticate: 'Bearer realm="warden"',
      })
    },
  )
})

describe('parseChallenge', () => {
  it('parses the challenges Warden builds', () => {
    expect(
      parseChallenge(
        'Bearer realm="warden", error="invalid_token", error_description="expired_token"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'warden', error: 'invalid_token', error_description: 'expired_token' },
      },
    ])
  })

  it('parses several challenges, commas inside quotes and escapes (RFC 9110 §11.6.1 example)', () => {
    const header =
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple, really"'
    expect(parseChallenge(header)).toEqual([
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'basic', params: { realm: 'simple, really' } },
    ])
  })

  it('tolerates token68 and lower-cases names', () => {
    expect(parseChallenge('Negotiate abc+/def==, BEARER Realm="x"')).toEqual([
      { scheme: 'negotiate', params: {} },
      { scheme: 'bearer', params: { realm: 'x' } },
    ])
  })

  it('keeps the first of repeated parameters and never touches the prototype', () => {
    const [parsed] = parseChallenge('Bearer realm="a", realm="b", __proto__="x", constructor="y"')
    expect(parsed?.params['realm']).toBe('a')
    expect(parsed?.params['__proto__']).toBe('x')
    expect(Object.getPrototypeOf(parsed?.params)).toBeNull()
  })

  it('copes with an unterminated quoted string and junk', () => {
    expect(parseChallenge('Bearer realm="open')).toEqual([
      { scheme: 'bearer', params: { realm: 'open' } },
    ])
    expect(parseChallenge('')).toEqual([])
    expect(parseChallenge(' , ,')).toEqual([])
    expect(parseChallenge('"quoted" Bearer')).toEqual([
      { scheme: 'quoted', params: {} },
      { scheme: 'bearer', params: {} },
    ])
  })

  it('never throws, on any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: fc.constantFrom(...'Bearer ="\\,=a1 \t'.split('')) }),
        ),
        (header) => {
          expect(Array.isArray(parseChallenge(header))).toBe(true)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('round-trips buildChallenge', () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    })
    fc.assert(
      fc.property(
        fc.record(
          {
            realm: printable,
            error: fc.constantFrom('invalid_request', 'invalid_token', 'insufficient_scope'),
            errorDescription: printable,
            scope: printable,
          },
          { requiredKeys: [] },
        ),
        (params) => {
          const expected: Record<string, string> = { realm: params.realm ?? 'warden' }
          if (params.error !== undefined) expected['error'] = params.error
          if (params.errorDescription !== undefined)
            expected['error_description'] = params.errorDescription
          if (params.scope !== undefined) expected['scope'] = params.scope
          expect(parseChallenge(buildChallenge(params))).toEqual([
            { scheme: 'bearer', params: expected },
          ])
        },
      ),
      { numRuns: 2000 },
    )
  })
})
