import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import {
  createRefreshFamily,
  createServiceClient,
  listAuditEvents,
  revokeFamily,
  rotateRefreshToken,
  type RotationResult,
} from '../src/index.ts'
import { truncateAll, type TestDatabase } from '../src/testing/index.ts'
import {
  at,
  DAY,
  describeBackends,
  HOUR,
  makeUser,
  newToken,
  SECOND,
  T0,
  useTestDatabase,
} from './helpers.ts'

const TTL = HOUR
const MAX_AGE = DAY
const INTERVAL = 10 * SECOND

async function startFamily(
  db: TestDatabase,
  options: { ttlMs?: number; maxAgeMs?: number; now?: Date } = {},
) {
  const user = await makeUser(db)
  const first = newToken()
  const { familyId } = await createRefreshFamily(db.kysely, {
    subject: { userId: user.id },
    audience: 'warden-api',
    scope: 'projects:read',
    tokenHash: first.hash,
    now: options.now ?? T0,
    ttlMs: options.ttlMs ?? TTL,
    maxAgeMs: options.maxAgeMs ?? MAX_AGE,
    userAgent: 'test-agent/1',
    ip: '192.0.2.1',
  })
  return { user, familyId, first }
}

function rotate(
  db: TestDatabase,
  input: { presented: string; successor: string; now: Date; reuseIntervalMs?: number },
) {
  return rotateRefreshToken(db.kysely, {
    presentedHash: input.presented,
    successorHash: input.successor,
    now: input.now,
    ttlMs: TTL,
    reuseIntervalMs: input.reuseIntervalMs ?? INTERVAL,
    userAgent: 'test-agent/2',
    ip: '192.0.2.2',
  })
}

async function tokenRow(db: TestDatabase, hash: string) {
  return db.kysely
    .selectFrom('refresh_token')
    .selectAll()
    .where('token_hash', '=', hash)
    .executeTakeFirstOrThrow()
}

async function familyRow(db: TestDatabase, id: string) {
  return db.kysely
    .selectFrom('refresh_family')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
}

async function tokenCount(db: TestDatabase, familyId: string) {
  const rows = await db.kysely
    .selectFrom('refresh_token')
    .select('id')
    .where('family_id', '=', familyId)
    .execute()
  return rows.length
}

function expectStatus<TStatus extends RotationResult['status']>(
  result: RotationResult,
  status: TStatus,
): asserts result is Extract<RotationResult, { status: TStatus }> {
  expect(result.status).toBe(status)
}

describeBackends('rotateRefreshToken', (backend) => {
  const getDb = useTestDatabase(backend, { poolMax: 50 })

  describe('happy path', () => {
    it('spends the presented token, stores the successor and returns the subject', async () => {
      const db = getDb()
      const { user, familyId, first } = await startFamily(db)
      const second = newToken()

      const result = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(SECOND),
      })

      expectStatus(result, 'rotated')
      expect(result).toEqual({
        status: 'rotated',
        replay: false,
        familyId,
        subject: {
          kind: 'user',
          user: { id: user.id, tenantId: user.tenantId, roles: ['member'], tokensValidAfter: null },
        },
        audience: 'warden-api',
        scope: 'projects:read',
        expiresAt: at(SECOND + TTL),
      })
      const presented = await tokenRow(db, first.hash)
      const successor = await tokenRow(db, second.hash)
      expect(presented.used_at).toEqual(at(SECOND))
      expect(presented.revoked_at).toBeNull()
      expect(successor).toMatchObject({
        family_id: familyId,
        parent_id: presented.id,
        issued_at: at(SECOND),
        expires_at: at(SECOND + TTL),
        used_at: null,
        revoked_at: null,
      })
      const family = await familyRow(db, familyId)
      expect(family.last_used_at).toEqual(at(SECOND))
      expect(family.user_agent).toBe('test-agent/2')
      expect(family.ip).toBe('192.0.2.2')
    })

    it('follows a chain of rotations, spending every token but the last', async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      let current = first
      for (let step = 1; step <= 5; step += 1) {
        const next = newToken()
        const result = await rotate(db, {
          presented: current.hash,
          successor: next.hash,
          now: at(step * 10 * SECOND),
          reuseIntervalMs: 0,
        })
        expectStatus(result, 'rotated')
        expect(result.expiresAt).toEqual(at(step * 10 * SECOND + TTL))
        current = next
      }
      const rows = await db.kysely
        .selectFrom('refresh_token')
        .select(['token_hash', 'used_at'])
        .where('family_id', '=', familyId)
        .execute()
      expect(rows).toHaveLength(6)
      expect(rows.filter((row) => row.used_at === null).map((row) => row.token_hash)).toEqual([
        current.hash,
      ])
    })

    it('never extends the family past its absolute lifetime', async () => {
      const db = getDb()
      const { first } = await startFamily(db, { maxAgeMs: 2 * HOUR, ttlMs: 2 * HOUR })
      const second = newToken()
      const result = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(90 * 60 * SECOND),
      })
      expectStatus(result, 'rotated')
      expect(result.expiresAt).toEqual(at(2 * HOUR))
      expect((await tokenRow(db, second.hash)).expires_at).toEqual(at(2 * HOUR))
    })

    it('rotates a service client family and names the client', async () => {
      const db = getDb()
      await createServiceClient(db.kysely, {
        id: 'reports',
        secretHash: '$argon2id$stub',
        audiences: ['warden-api'],
        scopes: ['invoices:read'],
        now: T0,
      })
      const first = newToken()
      const { familyId } = await createRefreshFamily(db.kysely, {
        subject: { clientId: 'reports' },
        audience: 'warden-api',
        tokenHash: first.hash,
        now: T0,
        ttlMs: TTL,
        maxAgeMs: MAX_AGE,
      })
      const result = await rotate(db, {
        presented: first.hash,
        successor: newToken().hash,
        now: at(1),
      })
      expect(result).toMatchObject({
        status: 'rotated',
        familyId,
        subject: { kind: 'client', clientId: 'reports' },
        scope: null,
      })
    })

    it('reads the subject fresh: roles and cut-off changed since login are returned', async () => {
      const db = getDb()
      const { user, first } = await startFamily(db)
      await db.kysely
        .updateTable('user_account')
        .set({ roles: ['member', 'manager'], tokens_valid_after: at(1) })
        .where('id', '=', user.id)
        .execute()
      const result = await rotate(db, {
        presented: first.hash,
        successor: newToken().hash,
        now: at(2),
      })
      expectStatus(result, 'rotated')
      expect(result.subject).toEqual({
        kind: 'user',
        user: {
          id: user.id,
          tenantId: user.tenantId,
          roles: ['member', 'manager'],
          tokensValidAfter: at(1),
        },
      })
    })
  })

  describe('refusals', () => {
    it('answers invalid for an unknown or malformed token', async () => {
      const db = getDb()
      await startFamily(db)
      const successor = newToken().hash
      expect(await rotate(db, { presented: newToken().hash, successor, now: at(1) })).toEqual({
        status: 'invalid',
      })
      expect(await rotate(db, { presented: 'not-a-hash', successor, now: at(1) })).toEqual({
        status: 'invalid',
      })
      expect(await rotate(db, { presented: newToken().token, successor, now: at(1) })).toEqual({
        status: 'invalid',
      })
    })

    it('answers expired from the token expiry on, and burns nothing', async () => {
      const db = getDb()
      const { first } = await startFamily(db)
      const successor = newToken()
      expect(
        await rotate(db, { presented: first.hash, successor: successor.hash, now: at(TTL) }),
      ).toEqual({ status: 'expired' })
      expect((await tokenRow(db, first.hash)).used_at).toBeNull()
      const justBefore = await rotate(db, {
        presented: first.hash,
        successor: successor.hash,
        now: at(TTL - 1),
      })
      expect(justBefore.status).toBe('rotated')
    })

    it('answers expired once the family lifetime is over, even for a fresh token', async () => {
      const db = getDb()
      const { first } = await startFamily(db, { maxAgeMs: 3 * HOUR, ttlMs: 3 * HOUR })
      const second = newToken()
      const rotated = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(150 * 60 * SECOND),
      })
      expectStatus(rotated, 'rotated')
      expect(rotated.expiresAt).toEqual(at(3 * HOUR))
      // Force the token's own expiry past the family's, to prove the family's lifetime is checked.
      await sql`update refresh_token set expires_at = ${at(10 * HOUR)} where token_hash = ${second.hash}`.execute(
        db.kysely,
      )
      expect(
        await rotate(db, { presented: second.hash, successor: newToken().hash, now: at(3 * HOUR) }),
      ).toEqual({
        status: 'expired',
      })
      expect((await tokenRow(db, second.hash)).used_at).toBeNull()
    })

    it('answers revoked for a token of a revoked family, and burns nothing', async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      expect(await revokeFamily(db.kysely, { familyId, reason: 'logout', now: at(1) })).toBe(true)
      expect(
        await rotate(db, { presented: first.hash, successor: newToken().hash, now: at(2) }),
      ).toEqual({
        status: 'revoked',
      })
      expect((await tokenRow(db, first.hash)).used_at).toBeNull()
    })

    it('answers revoked while the user is disabled, and rotates again once re-enabled', async () => {
      const db = getDb()
      const { user, first } = await startFamily(db)
      const setDisabled = (value: Date | null) =>
        db.kysely
          .updateTable('user_account')
          .set({ disabled_at: value })
          .where('id', '=', user.id)
          .execute()
      await setDisabled(at(1))
      const successor = newToken()
      expect(
        await rotate(db, { presented: first.hash, successor: successor.hash, now: at(2) }),
      ).toEqual({
        status: 'revoked',
      })
      expect((await tokenRow(db, first.hash)).used_at).toBeNull()
      await setDisabled(null)
      expect(
        (await rotate(db, { presented: first.hash, successor: successor.hash, now: at(3) })).status,
      ).toBe('rotated')
    })

    it('answers revoked for a disabled service client', async () => {
      const db = getDb()
      await createServiceClient(db.kysely, {
        id: 'batch',
        secretHash: '$argon2id$stub',
        audiences: ['warden-api'],
        scopes: [],
        now: T0,
      })
      const first = newToken()
      await createRefreshFamily(db.kysely, {
        subject: { clientId: 'batch' },
        audience: 'warden-api',
        tokenHash: first.hash,
        now: T0,
        ttlMs: TTL,
        maxAgeMs: MAX_AGE,
      })
      await db.kysely
        .updateTable('service_client')
        .set({ enabled: false })
        .where('id', '=', 'batch')
        .execute()
      expect(
        await rotate(db, { presented: first.hash, successor: newToken().hash, now: at(1) }),
      ).toEqual({
        status: 'revoked',
      })
    })

    it('rejects a successor hash that is not hex SHA-256 or equals the presented one', async () => {
      const db = getDb()
      const { first } = await startFamily(db)
      await expect(
        rotate(db, { presented: first.hash, successor: first.token, now: at(1) }),
      ).rejects.toThrow(TypeError)
      await expect(
        rotate(db, { presented: first.hash, successor: first.hash, now: at(1) }),
      ).rejects.toThrow(TypeError)
      expect((await tokenRow(db, first.hash)).used_at).toBeNull()
    })
  })

  describe('reuse and replay', () => {
    it('revokes the family when a used token comes back after the interval, with audit events', async () => {
      const db = getDb()
      const { user, familyId, first } = await startFamily(db)
      const second = newToken()
      await rotate(db, { presented: first.hash, successor: second.hash, now: at(SECOND) })

      const result = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(SECOND + INTERVAL),
      })

      expect(result).toEqual({
        status: 'reused',
        familyId,
        subject: {
          kind: 'user',
          user: { id: user.id, tenantId: user.tenantId, roles: ['member'], tokensValidAfter: null },
        },
      })
      const family = await familyRow(db, familyId)
      expect(family.revoked_at).toEqual(at(SECOND + INTERVAL))
      expect(family.revoke_reason).toBe('reuse_detected')
      expect((await tokenRow(db, second.hash)).revoked_at).toEqual(at(SECOND + INTERVAL))
      const events = await listAuditEvents(db.kysely)
      expect(events.map((event) => event.type).sort()).toEqual(['family_revoked', 'reuse_detected'])
      for (const event of events) {
        expect(event).toMatchObject({
          familyId,
          actorUserId: user.id,
          ip: '192.0.2.2',
          at: at(SECOND + INTERVAL),
        })
      }
      expect(events.find((event) => event.type === 'family_revoked')?.reason).toBe('reuse_detected')
      // The thief's and the owner's copies are both dead now.
      expect(
        await rotate(db, {
          presented: second.hash,
          successor: newToken().hash,
          now: at(2 * INTERVAL),
        }),
      ).toEqual({
        status: 'revoked',
      })
      expect(
        await rotate(db, { presented: first.hash, successor: second.hash, now: at(3 * INTERVAL) }),
      ).toMatchObject({ status: 'reused' })
      expect(await listAuditEvents(db.kysely)).toHaveLength(2)
    })

    it('answers a repeat within the interval with the same successor and revokes nothing', async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      const second = newToken()
      const original = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(SECOND),
      })
      expectStatus(original, 'rotated')

      const replay = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(SECOND + INTERVAL - 1),
      })

      expect(replay).toEqual({ ...original, replay: true })
      expect(await tokenCount(db, familyId)).toBe(2)
      const family = await familyRow(db, familyId)
      expect(family.revoked_at).toBeNull()
      expect(family.last_used_at).toEqual(at(SECOND + INTERVAL - 1))
      expect((await tokenRow(db, second.hash)).used_at).toBeNull()
      expect(await listAuditEvents(db.kysely)).toEqual([])
      // The successor handed out twice is one token: it rotates once, normally.
      const third = newToken()
      expect(
        (await rotate(db, { presented: second.hash, successor: third.hash, now: at(2 * SECOND) }))
          .status,
      ).toBe('rotated')
    })

    it('treats a repeat with a different successor as reuse', async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      await rotate(db, { presented: first.hash, successor: newToken().hash, now: at(SECOND) })
      const result = await rotate(db, {
        presented: first.hash,
        successor: newToken().hash,
        now: at(2 * SECOND),
      })
      expect(result.status).toBe('reused')
      expect((await familyRow(db, familyId)).revoke_reason).toBe('reuse_detected')
    })

    it('treats a repeat as reuse once the successor itself was used', async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      const second = newToken()
      const third = newToken()
      await rotate(db, { presented: first.hash, successor: second.hash, now: at(SECOND) })
      await rotate(db, { presented: second.hash, successor: third.hash, now: at(2 * SECOND) })
      const result = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(3 * SECOND),
      })
      expect(result.status).toBe('reused')
      expect((await familyRow(db, familyId)).revoked_at).toEqual(at(3 * SECOND))
      expect((await tokenRow(db, third.hash)).revoked_at).toEqual(at(3 * SECOND))
    })

    it('treats every repeat as reuse when the interval is 0', async () => {
      const db = getDb()
      const { first } = await startFamily(db)
      const second = newToken()
      await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(SECOND),
        reuseIntervalMs: 0,
      })
      const result = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(SECOND),
        reuseIntervalMs: 0,
      })
      expect(result.status).toBe('reused')
    })
  })

  describe('atomicity', () => {
    it('burns nothing when the rotation rolls back with the caller’s transaction', async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      const second = newToken()
      const rollback = new Error('the response could not be sent')
      await expect(
        db.kysely.transaction().execute(async (trx) => {
          const inside = await rotateRefreshToken(trx, {
            presentedHash: first.hash,
            successorHash: second.hash,
            now: at(SECOND),
            ttlMs: TTL,
            reuseIntervalMs: 0,
          })
          expect(inside.status).toBe('rotated')
          throw rollback
        }),
      ).rejects.toBe(rollback)

      expect((await tokenRow(db, first.hash)).used_at).toBeNull()
      expect(await tokenCount(db, familyId)).toBe(1)
      // The legitimate client's retry, even with no grace interval, is a normal rotation.
      const retry = await rotate(db, {
        presented: first.hash,
        successor: second.hash,
        now: at(2 * SECOND),
        reuseIntervalMs: 0,
      })
      expect(retry.status).toBe('rotated')
      expect((await familyRow(db, familyId)).revoked_at).toBeNull()
    })

    it('burns nothing when the one statement fails', async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      const other = await startFamily(db)
      // A successor hash that collides with a stored token makes the INSERT, and so the whole
      // statement, fail after the compare-and-swap matched.
      await expect(
        rotate(db, {
          presented: first.hash,
          successor: other.first.hash,
          now: at(SECOND),
          reuseIntervalMs: 0,
        }),
      ).rejects.toThrow()
      expect((await tokenRow(db, first.hash)).used_at).toBeNull()
      expect(await tokenCount(db, familyId)).toBe(1)
      const retry = await rotate(db, {
        presented: first.hash,
        successor: newToken().hash,
        now: at(2 * SECOND),
        reuseIntervalMs: 0,
      })
      expect(retry.status).toBe('rotated')
    })
  })

  describe('concurrency', () => {
    const PARALLEL = 50

    async function warmPool(db: TestDatabase) {
      if (backend !== 'postgres') return
      // Every transaction holds its connection until all have started: proves the pool hands
      // out PARALLEL distinct connections, and leaves them open for the race.
      let arrived = 0
      let release: () => void = () => undefined
      const allIn = new Promise<void>((resolve) => {
        release = resolve
      })
      const pids = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          db.kysely.transaction().execute(async (trx) => {
            const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
            arrived += 1
            if (arrived === PARALLEL) release()
            await allIn
            return rows[0]?.pid
          }),
        ),
      )
      expect(new Set(pids).size).toBe(PARALLEL)
    }

    it(`lets exactly one of ${PARALLEL} simultaneous rotations win with interval 0`, async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      await warmPool(db)
      const second = newToken()
      const results = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          rotate(db, {
            presented: first.hash,
            successor: second.hash,
            now: at(SECOND),
            reuseIntervalMs: 0,
          }),
        ),
      )
      const statuses = results.map((result) => result.status)
      expect(statuses.filter((status) => status === 'rotated')).toHaveLength(1)
      expect(statuses.filter((status) => status === 'reused')).toHaveLength(PARALLEL - 1)
      expect((await familyRow(db, familyId)).revoke_reason).toBe('reuse_detected')
      const events = await listAuditEvents(db.kysely)
      expect(events.map((event) => event.type).sort()).toEqual(['family_revoked', 'reuse_detected'])
    })

    it(`gives all ${PARALLEL} simultaneous rotations the same successor within the interval`, async () => {
      const db = getDb()
      const { familyId, first } = await startFamily(db)
      await warmPool(db)
      const second = newToken()
      const results = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          rotate(db, { presented: first.hash, successor: second.hash, now: at(SECOND) }),
        ),
      )
      expect(results.every((result) => result.status === 'rotated')).toBe(true)
      expect(
        results.filter((result) => result.status === 'rotated' && !result.replay),
      ).toHaveLength(1)
      expect(
        new Set(
          results.map((result) => (result.status === 'rotated' ? result.expiresAt.getTime() : 0)),
        ).size,
      ).toBe(1)
      const children = await db.kysely
        .selectFrom('refresh_token')
        .select('token_hash')
        .where('family_id', '=', familyId)
        .where('parent_id', 'is not', null)
        .execute()
      expect(children).toEqual([{ token_hash: second.hash }])
      expect((await familyRow(db, familyId)).revoked_at).toBeNull()
    })

    it('reports both of two simultaneous reuses of one family, and revokes it once', async () => {
      const db = getDb()
      for (let round = 0; round < 5; round += 1) {
        await truncateAll(db)
        const { familyId, first } = await startFamily(db)
        const second = newToken()
        const third = newToken()
        await rotate(db, {
          presented: first.hash,
          successor: second.hash,
          now: at(SECOND),
          reuseIntervalMs: 0,
        })
        await rotate(db, {
          presented: second.hash,
          successor: third.hash,
          now: at(2 * SECOND),
          reuseIntervalMs: 0,
        })
        // Both presentations take their token's row lock, then each wants the other's to revoke
        // the family: PostgreSQL may pick one as a deadlock victim, which is retried.
        const results = await Promise.all([
          rotate(db, {
            presented: first.hash,
            successor: second.hash,
            now: at(3 * SECOND),
            reuseIntervalMs: 0,
          }),
          rotate(db, {
            presented: second.hash,
            successor: third.hash,
            now: at(3 * SECOND),
            reuseIntervalMs: 0,
          }),
        ])
        expect(results.map((result) => result.status)).toEqual(['reused', 'reused'])
        expect((await familyRow(db, familyId)).revoke_reason).toBe('reuse_detected')
        expect(await listAuditEvents(db.kysely)).toHaveLength(2)
      }
    })

    it('never lets a rotation racing a revocation leave a usable token', async () => {
      const db = getDb()
      for (let round = 0; round < 20; round += 1) {
        const { familyId, first } = await startFamily(db)
        const second = newToken()
        const [rotation, revoked] = await Promise.all([
          rotate(db, { presented: first.hash, successor: second.hash, now: at(SECOND) }),
          revokeFamily(db.kysely, { familyId, reason: 'logout', now: at(SECOND) }),
        ])
        expect(['rotated', 'revoked']).toContain(rotation.status)
        expect(revoked).toBe(true)
        expect((await familyRow(db, familyId)).revoked_at).toEqual(at(SECOND))
        // A rotation that lost created nothing; one that won before the revocation had its
        // successor revoked with the rest of the family.
        const tokens = await db.kysely
          .selectFrom('refresh_token')
          .select(['token_hash', 'revoked_at'])
          .where('family_id', '=', familyId)
          .execute()
        expect(tokens).toHaveLength(rotation.status === 'rotated' ? 2 : 1)
        expect(tokens.every((token) => token.revoked_at !== null)).toBe(true)
        for (const token of [first, second]) {
          const after = await rotate(db, {
            presented: token.hash,
            successor: newToken().hash,
            now: at(2 * SECOND),
          })
          expect(after.status).toBe(
            token === second && rotation.status === 'revoked' ? 'invalid' : 'revoked',
          )
        }
      }
    })
  })
})
