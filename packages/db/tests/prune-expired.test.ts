import { expect, it } from 'vitest'

import {
  createRefreshFamily,
  DEFAULT_AUDIT_RETENTION_MS,
  DEFAULT_LOGIN_ATTEMPT_RETENTION_MS,
  listActiveRevocations,
  pruneExpired,
  recordAuditEvent,
  recordLockout,
  recordLoginAttempt,
  revokeAccessToken,
  revokeFamily,
  rotateRefreshToken,
} from '../src/index.ts'
import type { TestDatabase } from '../src/testing/index.ts'
import {
  at,
  DAY,
  describeBackends,
  HOUR,
  makeUser,
  MINUTE,
  newToken,
  T0,
  useTestDatabase,
} from './helpers.ts'

async function family(db: TestDatabase, userId: string, maxAgeMs: number) {
  const first = newToken()
  const { familyId } = await createRefreshFamily(db.kysely, {
    subject: { userId },
    audience: 'api',
    tokenHash: first.hash,
    now: T0,
    ttlMs: HOUR,
    maxAgeMs,
  })
  return { familyId, first }
}

async function countRows(db: TestDatabase) {
  const tables = [
    'refresh_family',
    'refresh_token',
    'revoked_access_token',
    'login_attempt',
    'login_lockout',
    'audit_event',
  ] as const
  const counts: Record<string, number> = {}
  for (const table of tables)
    counts[table] = (await db.kysely.selectFrom(table).selectAll().execute()).length
  return counts
}

describeBackends('pruneExpired', (backend) => {
  const getDb = useTestDatabase(backend)

  it('deletes what can no longer matter and keeps the rest', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const now = at(2 * DAY)

    // Families: one past its lifetime (with a rotated chain), one revoked but within its
    // lifetime, one live.
    const ended = await family(db, user.id, DAY)
    await rotateRefreshToken(db.kysely, {
      presentedHash: ended.first.hash,
      successorHash: newToken().hash,
      now: at(MINUTE),
      ttlMs: HOUR,
      reuseIntervalMs: 0,
    })
    const revoked = await family(db, user.id, 3 * DAY)
    await revokeFamily(db.kysely, { familyId: revoked.familyId, reason: 'logout', now: at(HOUR) })
    await family(db, user.id, 3 * DAY)

    await revokeAccessToken(db.kysely, { jti: 'gone', expiresAt: at(DAY), now: T0 })
    await revokeAccessToken(db.kysely, { jti: 'kept', expiresAt: at(3 * DAY), now: T0 })

    await recordLoginAttempt(db.kysely, {
      accountKey: 'a',
      ip: 'i',
      success: false,
      now: new Date(now.getTime() - DEFAULT_LOGIN_ATTEMPT_RETENTION_MS - 1),
    })
    await recordLoginAttempt(db.kysely, {
      accountKey: 'a',
      ip: 'i',
      success: false,
      now: new Date(now.getTime() - DEFAULT_LOGIN_ATTEMPT_RETENTION_MS),
    })

    await recordLockout(db.kysely, { scope: 'ip', key: 'old', until: now, reason: 'r', now: T0 })
    await recordLockout(db.kysely, {
      scope: 'ip',
      key: 'new',
      until: at(3 * DAY),
      reason: 'r',
      now: T0,
    })

    await recordAuditEvent(db.kysely, {
      type: 'logout',
      at: new Date(now.getTime() - DEFAULT_AUDIT_RETENTION_MS - 1),
    })
    await recordAuditEvent(db.kysely, {
      type: 'logout',
      at: new Date(now.getTime() - DEFAULT_AUDIT_RETENTION_MS),
    })

    const before = await countRows(db)
    expect(before).toEqual({
      refresh_family: 3,
      refresh_token: 4,
      revoked_access_token: 2,
      login_attempt: 2,
      login_lockout: 2,
      audit_event: 2,
    })

    expect(await pruneExpired(db.kysely, { now })).toEqual({
      refreshFamilies: 1,
      refreshTokens: 2,
      revocations: 1,
      loginAttempts: 1,
      lockouts: 1,
      auditEvents: 1,
    })
    expect(await countRows(db)).toEqual({
      refresh_family: 2,
      refresh_token: 2,
      revoked_access_token: 1,
      login_attempt: 1,
      login_lockout: 1,
      audit_event: 1,
    })
    expect(await listActiveRevocations(db.kysely, { now })).toEqual([
      { jti: 'kept', expiresAt: at(3 * DAY) },
    ])
    const remaining = await db.kysely.selectFrom('refresh_family').select('id').execute()
    expect(remaining.map((row) => row.id)).toContain(revoked.familyId)

    expect(await pruneExpired(db.kysely, { now })).toEqual({
      refreshFamilies: 0,
      refreshTokens: 0,
      revocations: 0,
      loginAttempts: 0,
      lockouts: 0,
      auditEvents: 0,
    })
  })

  it('honours custom retention periods', async () => {
    const db = getDb()
    await recordLoginAttempt(db.kysely, { accountKey: 'a', ip: 'i', success: true, now: T0 })
    await recordAuditEvent(db.kysely, { type: 'logout', at: T0 })
    expect(
      await pruneExpired(db.kysely, {
        now: at(HOUR),
        loginAttemptRetentionMs: HOUR - 1,
        auditRetentionMs: HOUR,
      }),
    ).toMatchObject({ loginAttempts: 1, auditEvents: 0 })
    await expect(pruneExpired(db.kysely, { now: T0, auditRetentionMs: -1 })).rejects.toThrow(
      TypeError,
    )
  })
})
