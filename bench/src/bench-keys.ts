import {
  createTokenService,
  generateKeySet,
  loadKeySet,
  type SigningAlgorithm,
  type TokenService,
} from '@warden/auth'

export const ISSUER = 'https://bench.warden.test'
export const AUDIENCE = 'warden-api'

/** A signing key shared by the bench (which issues tokens) and the server (which verifies them). */
export interface BenchKeys {
  readonly alg: SigningAlgorithm
  /** The private JWK Set, for the server's `AUTH_SIGNING_KEYS`. */
  readonly jwksJson: string
  readonly tokens: TokenService
  /** The server environment that makes it issue and accept exactly these tokens. */
  readonly serverEnv: Record<string, string>
}

/** Generates a fresh key of `alg`; its kid is not a development one. */
export async function createBenchKeys(alg: SigningAlgorithm): Promise<BenchKeys> {
  const jwks = await generateKeySet(alg, { kid: `bench-${alg.toLowerCase()}` })
  const jwksJson = JSON.stringify(jwks)
  const tokens = createTokenService({
    keys: await loadKeySet(jwks),
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTokenTtl: 3600,
  })
  return {
    alg,
    jwksJson,
    tokens,
    serverEnv: { AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_SIGNING_KEYS: jwksJson },
  }
}

/**
 * `count` distinct valid access tokens, as a user's first-party login would get them (roles,
 * scope, tenant), each for its own user, valid for an hour.
 */
export async function issueTokens(keys: BenchKeys, count: number): Promise<string[]> {
  const tokens: string[] = []
  for (let i = 0; i < count; i++) {
    const { token } = await keys.tokens.issueAccessToken({
      sub: `0190d3a4-7c1e-7a5e-9b1c-${i.toString(16).padStart(12, '0')}`,
      audience: AUDIENCE,
      clientId: 'warden',
      roles: ['member'],
      scope: 'projects:read projects:write invoices:read',
      tenantId: '0190d3a4-7c1e-7a5e-9b1c-000000000001',
    })
    tokens.push(token)
  }
  return tokens
}
