import { describe, expect, test } from 'vitest'

import { parseWwwAuthenticate } from './parse-www-authenticate.ts'

const params = (header: string) =>
  parseWwwAuthenticate(header).map((challenge) => ({
    scheme: challenge.scheme,
    params: Object.fromEntries(challenge.params),
    ...(challenge.token68 === undefined ? {} : { token68: challenge.token68 }),
  }))

describe('parseWwwAuthenticate', () => {
  test.each([
    ['Bearer realm="warden"', [{ scheme: 'bearer', params: { realm: 'warden' } }]],
    [
      'Bearer realm="warden", error="invalid_token", error_description="expired_token"',
      [
        {
          scheme: 'bearer',
          params: { realm: 'warden', error: 'invalid_token', error_description: 'expired_token' },
        },
      ],
    ],
    // Scheme and parameter names are case-insensitive; token values need no quotes; BWS.
    [
      'BEARER Realm=warden ,  Error = invalid_token',
      [{ scheme: 'bearer', params: { realm: 'warden', error: 'invalid_token' } }],
    ],
    // RFC 9110 §11.6.1's own example: several challenges, commas inside quoted strings.
    [
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
      [
        { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
        { scheme: 'basic', params: { realm: 'simple' } },
      ],
    ],
    [
      'Basic realm="a, b", Bearer error="invalid_token", error_description="revoked_token"',
      [
        { scheme: 'basic', params: { realm: 'a, b' } },
        {
          scheme: 'bearer',
          params: { error: 'invalid_token', error_description: 'revoked_token' },
        },
      ],
    ],
    [
      'Negotiate abc+/def==, Bearer',
      [
        { scheme: 'negotiate', params: {}, token68: 'abc+/def==' },
        { scheme: 'bearer', params: {} },
      ],
    ],
    ['Bearer realm=""', [{ scheme: 'bearer', params: { realm: '' } }]],
    // A valid token68 (RFC 9110 §11.2), not a parameter without a value.
    ['Bearer error=', [{ scheme: 'bearer', params: {}, token68: 'error=' }]],
  ])('%s', (header, expected) => {
    expect(params(header)).toEqual(expected)
  })

  test.each([
    // Malformed parts end the parse; what came before them stands, nothing after is invented.
    ['Bearer realm="warden', []],
    ['Bearer error="invalid_token", error="insufficient_scope"', []],
    ['Basic realm="x", Bearer error="', [{ scheme: 'basic', params: { realm: 'x' } }]],
    ['Bearer error="invalid_token" error_description="expired_token"', []],
    ['', []],
    [', ,', []],
  ])('malformed: %s', (header, expected) => {
    expect(params(header)).toEqual(expected)
  })

  test('an escaped quote cannot end the value early', () => {
    const [challenge] = parseWwwAuthenticate(
      'Bearer error_description="a\\", error_description=\\"expired_token"',
    )
    expect(challenge?.params.get('error_description')).toBe('a", error_description="expired_token')
  })
})
