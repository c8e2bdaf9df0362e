/** `client_id` of the tokens Warden issues to its own users (the first-party app). */
export const FIRST_PARTY_CLIENT_ID = 'warden'

/** The roles a user may hold. `member` is what `auth.register` gives. */
export const ROLES = ['member', 'manager', 'admin'] as const
export type Role = (typeof ROLES)[number]

type ScopesByRole = ReadonlyMap<string, readonly string[]>

const MEMBER_SCOPES = ['projects:read', 'projects:write', 'invoices:read', 'invoices:write']

/** What each role may do on the API itself (`AUTH_AUDIENCE`). */
const API_SCOPES_BY_ROLE: ScopesByRole = new Map([
  ['member', MEMBER_SCOPES],
  ['manager', [...MEMBER_SCOPES, 'invoices:approve']],
  ['admin', [...MEMBER_SCOPES, 'invoices:approve']],
])

const REPORTS_READ = ['reports:read']

/**
 * The other services a user may get an access token for (RFC 8707 resource indicators at the
 * token endpoint), by audience, each with what every role may do there. A token never carries
 * two audiences, and its scope names only what its own audience understands: a `reports:read`
 * token for `warden-reports` grants nothing on the API, and the API's scopes never reach reports.
 * A service that joins adds its audience and table here.
 */
const SERVICE_SCOPES_BY_ROLE: ReadonlyMap<string, ScopesByRole> = new Map([
  [
    'warden-reports',
    new Map([
      ['member', REPORTS_READ],
      ['manager', REPORTS_READ],
      ['admin', REPORTS_READ],
    ]),
  ],
])

function scopeOf(table: ScopesByRole, roles: readonly string[]): string {
  const scopes = new Set<string>()
  for (const role of roles) {
    for (const scope of table.get(role) ?? []) scopes.add(scope)
  }
  return [...scopes].sort().join(' ')
}

/**
 * The `scope` claim of a user's access token for the API: the union of what their roles grant,
 * in a stable order. Roles change in the database; the next token (at the next refresh) carries
 * the change.
 */
export function scopeForRoles(roles: readonly string[]): string {
  return scopeOf(API_SCOPES_BY_ROLE, roles)
}

/**
 * The audiences of other services for which users may be issued access tokens (the values
 * `AUTH_USER_AUDIENCES` may list), in a stable order.
 */
export const USER_SERVICE_AUDIENCES: readonly string[] = Object.freeze(
  [...SERVICE_SCOPES_BY_ROLE.keys()].sort(),
)

function tableFor(audience: string, apiAudience: string): ScopesByRole | undefined {
  return audience === apiAudience ? API_SCOPES_BY_ROLE : SERVICE_SCOPES_BY_ROLE.get(audience)
}

/**
 * The `scope` of a user's access token for `audience`: {@link scopeForRoles} for the API's own
 * audience, what the service's table grants the roles for one of
 * {@link USER_SERVICE_AUDIENCES}, and `undefined` for any other audience (users get no token
 * for it).
 *
 * @example
 * userScopeFor({ audience: 'warden-reports', apiAudience: 'warden-api', roles: ['member'] })
 * // 'reports:read'
 */
export function userScopeFor(input: {
  audience: string
  apiAudience: string
  roles: readonly string[]
}): string | undefined {
  const table = tableFor(input.audience, input.apiAudience)
  return table === undefined ? undefined : scopeOf(table, input.roles)
}

/**
 * Every scope some role may hold for `audience` (what a user's request for that audience may
 * narrow from), or `undefined` when users get no token for it.
 */
export function userScopesOffered(audience: string, apiAudience: string): string[] | undefined {
  const table = tableFor(audience, apiAudience)
  return table === undefined
    ? undefined
    : scopeOf(table, [...table.keys()])
        .split(' ')
        .filter(Boolean)
}
