/** The roles a user may hold. `member` is what `auth.register` gives. */
export const ROLES = ['member', 'manager', 'admin'] as const
export type Role = (typeof ROLES)[number]

const MEMBER_SCOPES = ['projects:read', 'projects:write', 'invoices:read', 'invoices:write']

const SCOPES_BY_ROLE = new Map<string, readonly string[]>([
  ['member', MEMBER_SCOPES],
  ['manager', [...MEMBER_SCOPES, 'invoices:approve']],
  ['admin', [...MEMBER_SCOPES, 'invoices:approve']],
])

/**
 * The `scope` claim of a user's access token: the union of what their roles grant, in a stable
 * order. Roles change in the database; the next token (at the next refresh) carries the change.
 */
export function scopeForRoles(roles: readonly string[]): string {
  const scopes = new Set<string>()
  for (const role of roles) {
    for (const scope of SCOPES_BY_ROLE.get(role) ?? []) scopes.add(scope)
  }
  return [...scopes].sort().join(' ')
}
