import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/** Set once on insert, never updated. */
type Immutable<T> = ColumnType<T, T, never>
/** `bigserial`: node-postgres and our PGlite dialect both read `int8` as a string. */
type BigSerial = ColumnType<string, never, never>

/** The kinds of audit events; `audit_event.type` has a CHECK constraint with the same list. */
export const AUDIT_EVENT_TYPES = [
  'login_succeeded',
  'login_failed',
  'lockout',
  'refresh',
  'reuse_detected',
  'family_revoked',
  'logout',
  'logout_all',
  'key_rotated',
  'client_token_issued',
  'client_auth_failed',
  'roles_changed',
  'user_registered',
] as const

/** One of {@link AUDIT_EVENT_TYPES}. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

/** What an audit event may carry besides its columns: flat, JSON-safe values only. */
export type AuditDetails = Record<string, string | number | boolean | null>

/** The scopes of a login lockout: an account+IP pair, an account, or an IP. */
export type LockoutScope = 'pair' | 'account' | 'ip'

/** The states of an invoice. */
export type InvoiceStatus = 'pending' | 'approved'

/** A tenant: the unit of data isolation; every user belongs to one. */
export interface TenantTable {
  id: Generated<string>
  name: string
  created_at: Immutable<Date>
}

/** A user. Emails are unique whatever their case (`lower(email)` unique index). */
export interface UserAccountTable {
  id: Generated<string>
  tenant_id: string
  email: string
  name: string | null
  password_hash: string
  roles: ColumnType<string[], string[] | undefined, string[]>
  tokens_valid_after: Date | null
  disabled_at: Date | null
  created_at: Immutable<Date>
  updated_at: Date
}

/** A refresh family: one login session (or service grant) and its chain of rotated tokens. */
export interface RefreshFamilyTable {
  id: Generated<string>
  user_id: string | null
  client_id: string | null
  audience: string
  scope: string | null
  created_at: Immutable<Date>
  /** The family's absolute lifetime: rotation never extends it. */
  expires_at: Immutable<Date>
  last_used_at: Date
  revoked_at: Date | null
  revoke_reason: string | null
  user_agent: string | null
  ip: string | null
}

/** One refresh token of a family, by hash; `parent_id` links it to the token it replaced. */
export interface RefreshTokenTable {
  id: Generated<string>
  family_id: string
  /** Hex SHA-256 of the token; the token itself is never stored. */
  token_hash: string
  parent_id: string | null
  issued_at: Immutable<Date>
  expires_at: Immutable<Date>
  used_at: Date | null
  revoked_at: Date | null
  revoke_reason: string | null
}

/** An access token revoked before its expiry, by `jti`. */
export interface RevokedAccessTokenTable {
  jti: string
  user_id: string | null
  expires_at: Date
  revoked_at: Date
}

/** One login attempt, for brute-force throttling. */
export interface LoginAttemptTable {
  id: BigSerial
  account_key: string
  ip: string
  at: Date
  success: boolean
}

/** A lockout in force for an account+IP pair, an account, or an IP. */
export interface LoginLockoutTable {
  scope: LockoutScope
  key: string
  until: Date
  reason: string
  created_at: Date
}

/** A service (machine) client of the token endpoint. */
export interface ServiceClientTable {
  id: string
  name: string | null
  /** argon2id PHC string of the client secret. */
  secret_hash: string
  audiences: string[]
  scopes: ColumnType<string[], string[] | undefined, string[]>
  enabled: ColumnType<boolean, boolean | undefined, boolean>
  created_at: Immutable<Date>
  updated_at: Date
}

/** A security event. No column ever holds a token or a password. */
export interface AuditEventTable {
  id: BigSerial
  type: AuditEventType
  at: Date
  actor_user_id: string | null
  actor_client_id: string | null
  ip: string | null
  reason: string | null
  family_id: string | null
  /** Written as JSON text, read back parsed. */
  details: ColumnType<AuditDetails | null, string | null, never>
}

/** A tenant's project (demo resource). */
export interface ProjectTable {
  id: Generated<string>
  tenant_id: string
  name: string
  /** The subject (`sub`) that created it. */
  created_by: string
  created_at: Immutable<Date>
}

/** A tenant's invoice (demo resource); amounts in cents. */
export interface InvoiceTable {
  id: Generated<string>
  tenant_id: string
  amount_cents: number
  description: string
  status: ColumnType<InvoiceStatus, InvoiceStatus | undefined, InvoiceStatus>
  created_by: string
  created_at: Immutable<Date>
  approved_by: string | null
  approved_at: Date | null
}

/** A random secret the server keeps in the database (the refresh successor key). */
export interface ServerSecretTable {
  name: string
  value: Immutable<Uint8Array>
  created_at: Immutable<Date>
}

/** Every table Warden keeps, as kysely sees them (snake_case, as in SQL). */
export interface Database {
  tenant: TenantTable
  user_account: UserAccountTable
  refresh_family: RefreshFamilyTable
  refresh_token: RefreshTokenTable
  revoked_access_token: RevokedAccessTokenTable
  login_attempt: LoginAttemptTable
  login_lockout: LoginLockoutTable
  service_client: ServiceClientTable
  audit_event: AuditEventTable
  project: ProjectTable
  invoice: InvoiceTable
  server_secret: ServerSecretTable
}

/** A row of `TenantTable`, as read. */
export type TenantRow = Selectable<TenantTable>
/** What an insert into `TenantTable` takes. */
export type NewTenantRow = Insertable<TenantTable>
/** A row of `UserAccountTable`, as read. */
export type UserAccountRow = Selectable<UserAccountTable>
/** What an insert into `UserAccountTable` takes. */
export type NewUserAccountRow = Insertable<UserAccountTable>
/** What an update of `UserAccountTable` takes. */
export type UserAccountUpdate = Updateable<UserAccountTable>
/** A row of `RefreshFamilyTable`, as read. */
export type RefreshFamilyRow = Selectable<RefreshFamilyTable>
/** What an insert into `RefreshFamilyTable` takes. */
export type NewRefreshFamilyRow = Insertable<RefreshFamilyTable>
/** A row of `RefreshTokenTable`, as read. */
export type RefreshTokenRow = Selectable<RefreshTokenTable>
/** What an insert into `RefreshTokenTable` takes. */
export type NewRefreshTokenRow = Insertable<RefreshTokenTable>
/** A row of `RevokedAccessTokenTable`, as read. */
export type RevokedAccessTokenRow = Selectable<RevokedAccessTokenTable>
/** A row of `LoginAttemptTable`, as read. */
export type LoginAttemptRow = Selectable<LoginAttemptTable>
/** A row of `LoginLockoutTable`, as read. */
export type LoginLockoutRow = Selectable<LoginLockoutTable>
/** A row of `ServiceClientTable`, as read. */
export type ServiceClientRow = Selectable<ServiceClientTable>
/** What an insert into `ServiceClientTable` takes. */
export type NewServiceClientRow = Insertable<ServiceClientTable>
/** A row of `AuditEventTable`, as read. */
export type AuditEventRow = Selectable<AuditEventTable>
/** What an insert into `AuditEventTable` takes. */
export type NewAuditEventRow = Insertable<AuditEventTable>
/** A row of `ProjectTable`, as read. */
export type ProjectRow = Selectable<ProjectTable>
/** A row of `InvoiceTable`, as read. */
export type InvoiceRow = Selectable<InvoiceTable>
/** What an update of `InvoiceTable` takes. */
export type InvoiceUpdate = Updateable<InvoiceTable>
/** A row of `ServerSecretTable`, as read. */
export type ServerSecretRow = Selectable<ServerSecretTable>

/** Every table name, for maintenance such as truncating between tests. */
export const TABLE_NAMES = Object.keys({
  tenant: true,
  user_account: true,
  refresh_family: true,
  refresh_token: true,
  revoked_access_token: true,
  login_attempt: true,
  login_lockout: true,
  service_client: true,
  audit_event: true,
  project: true,
  invoice: true,
  server_secret: true,
} satisfies Record<keyof Database, true>) as readonly (keyof Database)[]
