import { all, allScopes, authenticated, definePolicy, requirement, userOnly } from '@warden/auth'

const inATenant = requirement('tenant', (principal) => principal.tenantId !== undefined)

/** The reports service's named policies; each procedure names one. */
export const reportsPolicies = {
  /** A user with `reports:read`, reading about their own tenant (the token's `tid`). */
  tenantReader: definePolicy(
    'reports-tenant-reader',
    all(authenticated(), userOnly(), inATenant, allScopes('reports:read')),
  ),
} as const
