import type { Migration } from 'kysely'

import * as tenantsAndUsers from './2026_11_23_2000_tenants_and_users.ts'
import * as serviceClients from './2026_11_23_2010_service_clients.ts'
import * as refreshTokens from './2026_11_23_2020_refresh_tokens.ts'
import * as revokedAccessTokens from './2026_11_23_2030_revoked_access_tokens.ts'
import * as loginThrottle from './2026_11_23_2040_login_throttle.ts'
import * as auditEvents from './2026_11_23_2050_audit_events.ts'
import * as projectsAndInvoices from './2026_11_23_2100_projects_and_invoices.ts'
import * as serverSecrets from './2026_11_23_2110_server_secrets.ts'

/**
 * Every migration, by name, in a static map (no folder scan, so a bundled server carries them).
 * Names sort in the order they apply: `YYYY_MM_DD_HHMM_<what>`.
 */
export const migrations = {
  '2026_11_23_2000_tenants_and_users': tenantsAndUsers,
  '2026_11_23_2010_service_clients': serviceClients,
  '2026_11_23_2020_refresh_tokens': refreshTokens,
  '2026_11_23_2030_revoked_access_tokens': revokedAccessTokens,
  '2026_11_23_2040_login_throttle': loginThrottle,
  '2026_11_23_2050_audit_events': auditEvents,
  '2026_11_23_2100_projects_and_invoices': projectsAndInvoices,
  '2026_11_23_2110_server_secrets': serverSecrets,
} as const satisfies Record<string, Migration>

/** The name of one of Warden's migrations. */
export type MigrationName = keyof typeof migrations
