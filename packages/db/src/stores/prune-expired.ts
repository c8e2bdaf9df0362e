import { sql, type Kysely } from 'kysely'

import { assertDate, assertDuration } from '../internal/validate.ts'
import type { Database } from '../schema.ts'

/** How many rows {@link pruneExpired} deleted, per kind. */
export interface PruneCounts {
  refreshFamilies: number
  refreshTokens: number
  revocations: number
  loginAttempts: number
  lockouts: number
  auditEvents: number
}

const DAY_MS = 24 * 60 * 60 * 1000
/** Login attempts are kept a week by default: far longer than any throttling window. */
export const DEFAULT_LOGIN_ATTEMPT_RETENTION_MS = 7 * DAY_MS
/** Audit events are kept 90 days by default. */
export const DEFAULT_AUDIT_RETENTION_MS = 90 * DAY_MS

/**
 * Deletes what can no longer matter at `now`: refresh families past their absolute lifetime,
 * revoked or not, with their tokens (a revoked family is kept until then so that its tokens are
 * still recognised as revoked rather than unknown); revocations of access tokens that have
 * expired; expired lockouts; login attempts and audit events older than their retention.
 */
export async function pruneExpired(
  db: Kysely<Database>,
  input: {
    now: Date
    loginAttemptRetentionMs?: number | undefined
    auditRetentionMs?: number | undefined
  },
): Promise<PruneCounts> {
  const { now } = input
  const loginAttemptRetentionMs =
    input.loginAttemptRetentionMs ?? DEFAULT_LOGIN_ATTEMPT_RETENTION_MS
  const auditRetentionMs = input.auditRetentionMs ?? DEFAULT_AUDIT_RETENTION_MS
  assertDate('now', now)
  assertDuration('loginAttemptRetentionMs', loginAttemptRetentionMs)
  assertDuration('auditRetentionMs', auditRetentionMs)

  const refresh = await db
    .with('doomed', (qb) =>
      qb.selectFrom('refresh_family').select('id').where('expires_at', '<=', now),
    )
    .with('tokens', (qb) =>
      qb
        .deleteFrom('refresh_token')
        .where('family_id', 'in', (eb) => eb.selectFrom('doomed').select('id'))
        .returning('id'),
    )
    .with('families', (qb) =>
      qb
        .deleteFrom('refresh_family')
        .where('id', 'in', (eb) => eb.selectFrom('doomed').select('id'))
        .returning('id'),
    )
    .selectNoFrom((eb) => [
      eb
        .selectFrom('tokens')
        .select(sql<string>`count(*)`.as('n'))
        .as('tokens'),
      eb
        .selectFrom('families')
        .select(sql<string>`count(*)`.as('n'))
        .as('families'),
    ])
    .executeTakeFirstOrThrow()

  const revocations = await db
    .deleteFrom('revoked_access_token')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  const lockouts = await db.deleteFrom('login_lockout').where('until', '<=', now).executeTakeFirst()
  const loginAttempts = await db
    .deleteFrom('login_attempt')
    .where('at', '<', new Date(now.getTime() - loginAttemptRetentionMs))
    .executeTakeFirst()
  const auditEvents = await db
    .deleteFrom('audit_event')
    .where('at', '<', new Date(now.getTime() - auditRetentionMs))
    .executeTakeFirst()

  return {
    refreshFamilies: Number(refresh.families ?? 0),
    refreshTokens: Number(refresh.tokens ?? 0),
    revocations: Number(revocations.numDeletedRows),
    loginAttempts: Number(loginAttempts.numDeletedRows),
    lockouts: Number(lockouts.numDeletedRows),
    auditEvents: Number(auditEvents.numDeletedRows),
  }
}
