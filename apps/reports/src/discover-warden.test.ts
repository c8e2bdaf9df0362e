import { describe, expect, it } from 'vitest'

import { discoverWarden } from './discover-warden.ts'

const ISSUER = 'https://auth.example.com'

function answering(body: unknown, status = 200): typeof fetch {
  return (input) => {
    const url = input instanceof Request ? input.url : input instanceof URL ? input.href : input
    expect(url).toBe(`${ISSUER}/.well-known/oauth-authorization-server`)
    return Promise.resolve(Response.json(body, { status }))
  }
}

describe('discoverWarden (RFC 8414)', () => {
  const metadata = {
    issuer: ISSUER,
    token_endpoint: `${ISSUER}/oauth/token`,
    jwks_uri: `${ISSUER}/.well-known/jwks.json`,
  }

  it('reads the token endpoint and JWKS URI', async () => {
    expect(await discoverWarden({ wardenUrl: ISSUER, fetch: answering(metadata) })).toEqual({
      issuer: ISSUER,
      tokenEndpoint: `${ISSUER}/oauth/token`,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
    })
  })

  it.each([
    ['another issuer (§3.3)', { ...metadata, issuer: 'https://evil.example' }, /issuer/],
    ['no JWKS URI', { ...metadata, jwks_uri: undefined }, /jwks_uri/],
    ['a JWKS URI that is not http(s)', { ...metadata, jwks_uri: 'file:///etc/keys' }, /jwks_uri/],
    ['not an object', [metadata], /not a JSON object/],
  ])('refuses metadata with %s', async (_, body, message) => {
    await expect(discoverWarden({ wardenUrl: ISSUER, fetch: answering(body) })).rejects.toThrow(
      message,
    )
  })

  it('refuses an error answer', async () => {
    await expect(
      discoverWarden({ wardenUrl: ISSUER, fetch: answering({ error: 'not_found' }, 404) }),
    ).rejects.toThrow(/404/)
  })
})
