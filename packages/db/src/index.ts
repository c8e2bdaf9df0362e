export { createDatabase } from './create-database.ts'
export type { CreateDatabaseOptions, ListenHandlers, WardenDatabase } from './create-database.ts'
export { DatabaseInUseError } from './internal/data-dir-lock.ts'
export { isDatabaseUnavailable } from './is-database-unavailable.ts'
export { MigrationError, migrateDown, migrateToLatest, pendingMigrations } from './migrate.ts'
export { migrations } from './migrations/index.ts'
export type { MigrationName } from './migrations/index.ts'
export { PGliteDialect } from './pglite-dialect.ts'
export { AUDIT_EVENT_TYPES } from './schema.ts'
export type {
  AuditDetails,
  AuditEventRow,
  AuditEventTable,
  AuditEventType,
  Database,
  InvoiceRow,
  InvoiceStatus,
  InvoiceTable,
  InvoiceUpdate,
  LockoutScope,
  LoginAttemptRow,
  LoginAttemptTable,
  LoginLockoutRow,
  LoginLockoutTable,
  NewAuditEventRow,
  NewRefreshFamilyRow,
  NewRefreshTokenRow,
  NewServiceClientRow,
  NewTenantRow,
  NewUserAccountRow,
  ProjectRow,
  ProjectTable,
  RefreshFamilyRow,
  RefreshFamilyTable,
  RefreshTokenRow,
  RefreshTokenTable,
  RevokedAccessTokenRow,
  RevokedAccessTokenTable,
  ServerSecretRow,
  ServerSecretTable,
  ServiceClientRow,
  ServiceClientTable,
  TenantRow,
  TenantTable,
  UserAccountRow,
  UserAccountTable,
  UserAccountUpdate,
} from './schema.ts'
export { listAuditEvents, recordAuditEvent } from './stores/audit-events.ts'
export type { AuditEvent, NewAuditEvent } from './stores/audit-events.ts'
export {
  approveInvoice,
  createInvoice,
  listInvoices,
  MAX_INVOICE_AMOUNT,
} from './stores/invoices.ts'
export type { Invoice } from './stores/invoices.ts'
export {
  activeLockout,
  MAX_FAILURES_PER_LIST,
  readLoginState,
  recordLockout,
  recordLoginAttempt,
  recordLoginOutcome,
} from './stores/login-attempts.ts'
export type {
  LoginFailureReason,
  LoginLockout,
  LoginOutcome,
  LoginState,
  RecentLoginFailures,
} from './stores/login-attempts.ts'
export { createProject, deleteProject, getProject, listProjects } from './stores/projects.ts'
export type { Project } from './stores/projects.ts'
export {
  DEFAULT_AUDIT_RETENTION_MS,
  DEFAULT_LOGIN_ATTEMPT_RETENTION_MS,
  pruneExpired,
} from './stores/prune-expired.ts'
export type { PruneCounts } from './stores/prune-expired.ts'
export {
  createRefreshFamily,
  findFamilyByTokenHash,
  listActiveFamilies,
  MAX_IP_LENGTH,
  MAX_USER_AGENT_LENGTH,
  revokeAllFamilies,
  revokeFamily,
} from './stores/refresh-families.ts'
export type { ActiveFamily, FamilyOfToken, RefreshSubject } from './stores/refresh-families.ts'
export { rotateRefreshToken } from './stores/refresh-rotation.ts'
export type {
  RotateRefreshTokenInput,
  RotationResult,
  RotationSubject,
} from './stores/refresh-rotation.ts'
export {
  listActiveRevocations,
  parseRevocationEvent,
  REVOCATION_CHANNEL,
  revokeAccessToken,
} from './stores/revocations.ts'
export type { ActiveRevocation, RevocationEvent } from './stores/revocations.ts'
export { getOrCreateServerSecret } from './stores/server-secrets.ts'
export {
  createServiceClient,
  findServiceClient,
  listServiceClients,
  setServiceClientEnabled,
} from './stores/service-clients.ts'
export type { CreateServiceClientResult, ServiceClient } from './stores/service-clients.ts'
export {
  createUser,
  findUserByEmail,
  findUserById,
  listTokenCutoffs,
  listUsers,
  registerUser,
  setPasswordHash,
  setTokensValidAfter,
  setUserRoles,
} from './stores/users.ts'
export type { CreateUserResult, TokenCutoff, User } from './stores/users.ts'
