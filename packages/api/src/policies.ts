import {
  all,
  allScopes,
  any,
  anyRole,
  authenticated,
  definePolicy,
  requirement,
  userOnly,
} from '@warden/auth'

const inATenant = requirement('tenant', (principal) => principal.tenantId !== undefined)
const aService = requirement('service', (principal) => principal.kind === 'service')

/**
 * Warden's named policies. Each procedure names one of these where it is defined; the router
 * test lists them, so an unguarded procedure cannot slip in.
 */
export const policies = {
  /** Any valid access token: a user's or a service's. */
  signedIn: definePolicy('signed-in', authenticated()),
  /** A signed-in user (not a service client). */
  user: definePolicy('user', all(authenticated(), userOnly())),
  /** A user acting inside their own tenant. */
  tenantMember: definePolicy('tenant-member', all(authenticated(), userOnly(), inATenant)),
  /** Managers and admins of their tenant may delete projects. */
  projectManager: definePolicy(
    'project-manager',
    all(authenticated(), userOnly(), inATenant, anyRole('manager', 'admin')),
  ),
  /** Approving invoices needs the `invoices:approve` scope. */
  invoiceApprover: definePolicy(
    'invoice-approver',
    all(authenticated(), inATenant, allScopes('invoices:approve')),
  ),
  /** Reading invoices: a tenant member, or a service client granted `invoices:read`. */
  invoiceReader: definePolicy(
    'invoice-reader',
    any(
      all(authenticated(), userOnly(), inATenant),
      all(authenticated(), aService, allScopes('invoices:read')),
    ),
  ),
  /** Tenant administration. */
  admin: definePolicy('admin', all(authenticated(), userOnly(), inATenant, anyRole('admin'))),
} as const
