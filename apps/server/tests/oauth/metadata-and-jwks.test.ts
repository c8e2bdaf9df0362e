/*
 * What other services read from Warden, over a socket: the RFC 8414 metadata (only what is
 * really supported) and the JWKS (public halves of asymmetric keys only, with a max-age).
 */
import { describe, expect, it } from 'vitest'

import { generateKeySet, type JwkSet, type SigningAlgorithm } from '@warden/auth'

import { JWKS_MAX_AGE_SECONDS } from '../../src/index.ts'
import { startSocketWarden } from './socket-warden.ts'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const PUBLIC_MEMBERS: Record<Exclude<SigningAlgorithm, 'HS256'>, string[]> = {
  EdDSA: ['kty', 'crv', 'x', 'kid', 'alg', 'use'],
  ES256: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
  RS256: ['kty', 'n', 'e', 'kid', 'alg', 'use'],
}

async function jwksOf(url: string) {
  const response = await fetch(`${url}/.well-known/jwks.json`)
  expect(response.status).toBe(200)
  expect(response.headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  const text = await response.text()
  return { text, jwks: JSON.parse(text) as { keys: Record<string, unknown>[] } }
}

describe('the JWKS never exposes a private member or an oct key', () => {
  it.each(['EdDSA', 'ES256', 'RS256'] as const)(
    'publishes only the public members of an %s key',
    async (alg) => {
      await using w = await startSocketWarden({ backend: 'pglite', alg })
      const { jwks, text } = await jwksOf(w.url)
      expect(jwks.keys).toHaveLength(1)
      expect(Object.keys(jwks.keys[0] ?? {}).sort()).toEqual([...PUBLIC_MEMBERS[alg]].sort())
      for (const member of PRIVATE_MEMBERS) expect(text).not.toContain(`"${member}"`)
    },
  )

  it('publishes nothing for an HS256 set, and only the asymmetric keys of a mixed set', async () => {
    const hs = await generateKeySet('HS256')
    {
      await using w = await startSocketWarden({ backend: 'pglite', keys: hs })
      const { jwks, text } = await jwksOf(w.url)
      expect(jwks).toEqual({ keys: [] })
      expect(text).not.toContain('oct')
    }
    const ed = await generateKeySet('EdDSA')
    const mixed: JwkSet = {
      keys: [...hs.keys, { ...ed.keys[0], key_ops: ['verify'], retired_at: 1 }],
    }
    await using w = await startSocketWarden({ backend: 'pglite', keys: mixed })
    const { jwks, text } = await jwksOf(w.url)
    expect(jwks.keys.map((key) => [key['kid'], key['kty']])).toEqual([[ed.keys[0]?.['kid'], 'OKP']])
    for (const member of PRIVATE_MEMBERS) expect(text).not.toContain(`"${member}"`)
    expect(text).not.toContain('oct')
    expect(text).not.toContain('retired_at')
  })
})

describe('RFC 8414 metadata', () => {
  it('lists the issuer, endpoints and only what the token endpoint supports', async () => {
    await using w = await startSocketWarden({ backend: 'pglite' })
    const response = await fetch(`${w.url}/.well-known/oauth-authorization-server`)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`)
    const metadata = (await response.json()) as Record<string, unknown>
    expect(metadata).toEqual({
      issuer: w.url,
      token_endpoint: `${w.url}/oauth/token`,
      jwks_uri: `${w.url}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      scopes_supported: [
        'invoices:approve',
        'invoices:read',
        'invoices:write',
        'projects:read',
        'projects:write',
        'reports:read',
      ],
    })
    // Every endpoint it names answers.
    expect((await fetch(String(metadata['jwks_uri']))).status).toBe(200)
    const token = await fetch(String(metadata['token_endpoint']), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    })
    expect(token.status).toBe(401)
    // A browser may read it from anywhere.
    const cors = await fetch(`${w.url}/.well-known/oauth-authorization-server`, {
      headers: { origin: 'https://app.example' },
    })
    expect(cors.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('offers reports:read only when users may get reports tokens', async () => {
    await using w = await startSocketWarden({ backend: 'pglite', env: { AUTH_USER_AUDIENCES: '' } })
    const metadata = (await (
      await fetch(`${w.url}/.well-known/oauth-authorization-server`)
    ).json()) as { scopes_supported: string[] }
    expect(metadata.scopes_supported).not.toContain('reports:read')
  })
})
