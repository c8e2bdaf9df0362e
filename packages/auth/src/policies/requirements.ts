import type { Principal } from './principal-from-claims.ts'

/**
 * One condition of a policy, in the spirit of ASP.NET Core's authorization requirements.
 * `TResource` is what the check needs besides the principal (`unknown` when nothing).
 */
export interface Requirement<TResource = unknown> {
  /** Reported as the failing requirement of a denial. */
  readonly name: string
  // A property, not a method, so that a requirement needing a resource is not assignable to
  // one that needs none (methods are bivariant in their parameters).
  readonly check: (principal: Principal, resource: TResource) => boolean
}

function assertName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('A requirement needs a non-empty name')
  }
}

function assertValues(values: readonly string[], what: string): void {
  if (values.length === 0 || values.some((value) => typeof value !== 'string' || value === '')) {
    throw new TypeError(`${what} needs at least one non-empty string`)
  }
}

/**
 * A custom requirement.
 *
 * @throws TypeError for an empty name or a check that is not a function
 * @example
 * const inATenant = requirement('tenant', (principal) => principal.tenantId !== undefined)
 */
export function requirement<TResource = unknown>(
  name: string,
  check: (principal: Principal, resource: TResource) => boolean,
): Requirement<TResource> {
  assertName(name)
  if (typeof check !== 'function') throw new TypeError('check must be a function')
  return Object.freeze({ name, check })
}

/** Any verified principal. */
export function authenticated(): Requirement {
  return requirement('authenticated', () => true)
}

/**
 * At least one of the roles.
 *
 * @throws TypeError without roles
 */
export function anyRole(...roles: string[]): Requirement {
  assertValues(roles, 'anyRole')
  return requirement(`any-role(${roles.join(',')})`, (principal) =>
    roles.some((role) => principal.roles.includes(role)),
  )
}

/**
 * Every one of the scopes.
 *
 * @throws TypeError without scopes
 */
export function allScopes(...scopes: string[]): Requirement {
  assertValues(scopes, 'allScopes')
  return requirement(`all-scopes(${scopes.join(' ')})`, (principal) =>
    scopes.every((scope) => principal.scopes.has(scope)),
  )
}

const CLAIMS: ReadonlySet<string> = new Set(['tid', 'client_id', 'sub'])

/**
 * The claim `tid`, `client_id` or `sub` has one of the values.
 *
 * @throws TypeError for another claim or no values
 */
export function claimIn(
  claim: 'tid' | 'client_id' | 'sub',
  values: readonly string[],
): Requirement {
  if (!CLAIMS.has(claim)) throw new TypeError('claimIn reads tid, client_id or sub')
  assertValues(values, 'claimIn')
  const allowed = new Set(values)
  return requirement(`claim-in(${claim})`, (principal) => {
    const value = principal.claims[claim]
    return value !== undefined && allowed.has(value)
  })
}

/** The resource belongs to the principal's tenant; denied when either side has none. */
export function sameTenant<TResource>(
  getTenant: (resource: TResource) => string | undefined,
): Requirement<TResource> {
  return requirement('same-tenant', (principal, resource: TResource) => {
    const tenant = getTenant(resource)
    return principal.tenantId !== undefined && tenant !== undefined && tenant === principal.tenantId
  })
}

/** A user's token, not a service client's own. */
export function userOnly(): Requirement {
  return requirement('user-only', (principal) => principal.kind === 'user')
}

// The children of each `all`, so that a denial can name the first failing one.
const allChildren = new WeakMap<object, readonly Requirement<never>[]>()

/** Every requirement holds; a denial names the first that fails. */
export function all<TResource>(...requirements: Requirement<TResource>[]): Requirement<TResource> {
  if (requirements.length === 0) throw new TypeError('all() needs at least one requirement')
  const composite: Requirement<TResource> = Object.freeze({
    name: `all(${requirements.map((r) => r.name).join(', ')})`,
    check: (principal: Principal, resource: TResource) =>
      requirements.every((r) => r.check(principal, resource)),
  })
  allChildren.set(composite, Object.freeze([...requirements]))
  return composite
}

/** At least one requirement holds. */
export function any<TResource>(...requirements: Requirement<TResource>[]): Requirement<TResource> {
  if (requirements.length === 0) throw new TypeError('any() needs at least one requirement')
  return Object.freeze({
    name: `any(${requirements.map((r) => r.name).join(', ')})`,
    check: (principal: Principal, resource: TResource) =>
      requirements.some((r) => r.check(principal, resource)),
  })
}

/**
 * The requirement that denies, or undefined when it holds: for `all`, its first failing child,
 * looking through nested `all`s.
 */
export function failingRequirement<TResource>(
  checked: Requirement<TResource>,
  principal: Principal,
  resource: TResource,
): Requirement<TResource> | undefined {
  const parts = allChildren.get(checked) as readonly Requirement<TResource>[] | undefined
  if (parts === undefined) return checked.check(principal, resource) ? undefined : checked
  for (const part of parts) {
    const failing = failingRequirement(part, principal, resource)
    if (failing !== undefined) return failing
  }
  return undefined
}
