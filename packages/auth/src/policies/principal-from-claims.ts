import type { AccessTokenClaims } from '../tokens/access-token-claims.ts'

/** Who is calling, as verified claims say: what policies decide on. */
export interface Principal {
  readonly sub: string
  readonly clientId: string
  /** `service` when the token was issued to a client for itself (sub === client_id). */
  readonly kind: 'user' | 'service'
  readonly roles: readonly string[]
  readonly scopes: ReadonlySet<string>
  readonly tenantId: string | undefined
  readonly claims: AccessTokenClaims
}

/** The frozen {@link Principal} of verified access-token claims. */
export function principalFromClaims(claims: AccessTokenClaims): Principal {
  const scopes = new Set((claims.scope ?? '').split(' ').filter((scope) => scope.length > 0))
  return Object.freeze({
    sub: claims.sub,
    clientId: claims.client_id,
    kind: claims.sub === claims.client_id ? 'service' : 'user',
    roles: Object.freeze([...(claims.roles ?? [])]),
    scopes,
    tenantId: claims.tid,
    claims,
  })
}
