import { createInternTable } from '../internal/intern-table.ts'
import type { AccessTokenClaims } from '../tokens/access-token-claims.ts'

/** Who is calling, as verified claims say: what policies decide on. */
export interface Principal {
  readonly sub: string
  readonly clientId: string
  /** `service` when the token was issued to a client for itself (sub === client_id). */
  readonly kind: 'user' | 'service'
  /** Frozen. */
  readonly roles: readonly string[]
  /** Read-only: `add`, `delete` and `clear` throw. */
  readonly scopes: ReadonlySet<string>
  readonly tenantId: string | undefined
  readonly claims: AccessTokenClaims
}

/** A set that refuses every change once built, so that principals can share it. */
class ScopeSet extends Set<string> {
  constructor(scope: string) {
    super()
    for (const name of scope.split(' ')) if (name.length > 0) super.add(name)
    Object.freeze(this)
  }
  override add(): never {
    throw new TypeError('The scopes of a principal are read-only')
  }
  override delete(): never {
    throw new TypeError('The scopes of a principal are read-only')
  }
  override clear(): never {
    throw new TypeError('The scopes of a principal are read-only')
  }
}

const NO_ROLES: readonly string[] = Object.freeze([])
// Principals of tokens with the same scope string share one set of scopes.
const sharedScopes = createInternTable<ReadonlySet<string>>(256)

/**
 * The frozen {@link Principal} of verified access-token claims. Its roles are the claims' own
 * list when that is frozen (verified claims are), a frozen copy otherwise.
 */
export function principalFromClaims(claims: AccessTokenClaims): Principal {
  const { roles = NO_ROLES, scope = '' } = claims
  return Object.freeze({
    sub: claims.sub,
    clientId: claims.client_id,
    kind: claims.sub === claims.client_id ? 'service' : 'user',
    roles: Object.isFrozen(roles) ? roles : Object.freeze([...roles]),
    scopes: sharedScopes(scope, () => new ScopeSet(scope)),
    tenantId: claims.tid,
    claims,
  })
}
