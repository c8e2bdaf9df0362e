import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it, vi } from 'vitest'

import {
  listActiveRevocations,
  parseRevocationEvent,
  REVOCATION_CHANNEL,
  revokeAccessToken,
  setTokensValidAfter,
} from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts'
import { at, describeBackends, makeUser, MINUTE, SECOND, T0, useTestDatabase } from './helpers.ts'

/** Collects what arrives on a channel. */
async function collect(db: TestDatabase, channel: string) {
  const messages: string[] = []
  const unlisten = await db.listen(channel, {
    onMessage(payload) {
      messages.push(payload)
    },
  })
  return { messages, unlisten }
}

describeBackends('revocations', (backend) => {
  const getDb = useTestDatabase(backend)

  describe('the deny list', () => {
    it('keeps a revoked access token until it expires, idempotently', async () => {
      const db = getDb()
      const user = await makeUser(db)
      await revokeAccessToken(db.kysely, {
        jti: 'jti-1',
        userId: user.id,
        expiresAt: at(15 * MINUTE),
        now: T0,
      })
      await revokeAccessToken(db.kysely, { jti: 'jti-1', expiresAt: at(5 * MINUTE), now: at(1) })
      await revokeAccessToken(db.kysely, { jti: 'jti-2', expiresAt: at(MINUTE), now: T0 })

      expect(await listActiveRevocations(db.kysely, { now: T0 })).toEqual([
        { jti: 'jti-2', expiresAt: at(MINUTE) },
        { jti: 'jti-1', expiresAt: at(15 * MINUTE) },
      ])
      expect(await listActiveRevocations(db.kysely, { now: at(MINUTE) })).toEqual([
        { jti: 'jti-1', expiresAt: at(15 * MINUTE) },
      ])
      const row = await db.kysely
        .selectFrom('revoked_access_token')
        .selectAll()
        .where('jti', '=', 'jti-1')
        .executeTakeFirstOrThrow()
      expect(row).toEqual({
        jti: 'jti-1',
        user_id: user.id,
        expires_at: at(15 * MINUTE),
        revoked_at: T0,
      })
    })

    it('refuses an empty or oversized jti and a non-uuid user', async () => {
      const db = getDb()
      for (const input of [
        { jti: '', expiresAt: at(1), now: T0 },
        { jti: 'x'.repeat(257), expiresAt: at(1), now: T0 },
        { jti: 'ok', userId: 'someone', expiresAt: at(1), now: T0 },
      ]) {
        await expect(revokeAccessToken(db.kysely, input)).rejects.toThrow(TypeError)
      }
    })
  })

  describe('broadcast', () => {
    it('delivers a jti revocation to listeners when it commits', async () => {
      const db = getDb()
      const { messages, unlisten } = await collect(db, REVOCATION_CHANNEL)
      try {
        await revokeAccessToken(db.kysely, {
          jti: 'abc',
          expiresAt: new Date(T0.getTime() + 1500),
          now: T0,
        })
        await vi.waitFor(() => {
          expect(messages).toHaveLength(1)
        })
        expect(parseRevocationEvent(messages[0] ?? '')).toEqual({
          type: 'jti',
          jti: 'abc',
          exp: Math.ceil((T0.getTime() + 1500) / 1000),
        })
      } finally {
        await unlisten()
      }
    })

    it('delivers a user cut-off with its epoch milliseconds', async () => {
      const db = getDb()
      const user = await makeUser(db)
      const { messages, unlisten } = await collect(db, REVOCATION_CHANNEL)
      try {
        await setTokensValidAfter(db.kysely, { userId: user.id, at: at(1234) })
        await vi.waitFor(() => {
          expect(messages).toHaveLength(1)
        })
        expect(parseRevocationEvent(messages[0] ?? '')).toEqual({
          type: 'user',
          userId: user.id,
          after: T0.getTime() + 1234,
        })
      } finally {
        await unlisten()
      }
    })

    it('never delivers what a rolled-back transaction revoked', async () => {
      const db = getDb()
      const { messages, unlisten } = await collect(db, REVOCATION_CHANNEL)
      try {
        const rollback = new Error('rollback')
        await expect(
          db.kysely.transaction().execute(async (trx) => {
            await revokeAccessToken(trx, { jti: 'rolled-back', expiresAt: at(MINUTE), now: T0 })
            throw rollback
          }),
        ).rejects.toBe(rollback)
        await revokeAccessToken(db.kysely, { jti: 'committed', expiresAt: at(MINUTE), now: T0 })
        await vi.waitFor(() => {
          expect(messages).toHaveLength(1)
        })
        expect(parseRevocationEvent(messages[0] ?? '')).toMatchObject({ jti: 'committed' })
        expect(await listActiveRevocations(db.kysely, { now: T0 })).toEqual([
          { jti: 'committed', expiresAt: at(MINUTE) },
        ])
      } finally {
        await unlisten()
      }
    })

    it('stops delivering after unlisten, and isolates a throwing handler', async () => {
      const errors: unknown[] = []
      await using db = await createTestDatabase(backend, { onError: (err) => errors.push(err) })
      const boom = new Error('handler bug')
      const thrower = await db.listen('warden_test', {
        onMessage() {
          throw boom
        },
      })
      const first = await collect(db, 'warden_test')
      const other = await collect(db, 'warden_other')
      await db.notify('warden_test', 'one')
      await vi.waitFor(() => {
        expect(first.messages).toEqual(['one'])
      })
      expect(errors).toEqual([boom])

      await first.unlisten()
      await first.unlisten()
      await thrower()
      await db.notify('warden_test', 'two')
      await db.notify('warden_other', 'marker')
      await vi.waitFor(() => {
        expect(other.messages).toEqual(['marker'])
      })
      expect(first.messages).toEqual(['one'])
      expect(errors).toHaveLength(1)
    })

    it('refuses channel names that are not plain lower-case identifiers', async () => {
      const db = getDb()
      const handlers = { onMessage: () => undefined }
      for (const channel of ['', 'Mixed', 'x; drop table tenant', '1abc', 'a'.repeat(64)]) {
        await expect(db.listen(channel, handlers)).rejects.toThrow(TypeError)
        await expect(db.notify(channel, 'x')).rejects.toThrow(TypeError)
      }
    })
  })

  if (backend === 'postgres') {
    it('reconnects a killed listener, re-subscribes, and asks subscribers to resync', async () => {
      const errors: unknown[] = []
      await using db = await createTestDatabase('postgres', {
        listenReconnectDelayMs: { initial: 10, max: 50 },
        onError: (err) => errors.push(err),
      })
      let reconnects = 0
      const messages: string[] = []
      const unlisten = await db.listen(REVOCATION_CHANNEL, {
        onMessage: (payload) => messages.push(payload),
        onReconnect: () => {
          reconnects += 1
        },
      })
      const killListener = () =>
        sql<{ killed: boolean }>`
          select pg_terminate_backend(pid) as killed from pg_stat_activity
          where application_name = 'warden_listener' and datname = current_database()`.execute(
          db.kysely,
        )

      const { rows } = await killListener()
      expect(rows).toEqual([{ killed: true }])
      await vi.waitFor(
        () => {
          expect(reconnects).toBe(1)
        },
        { timeout: 10 * SECOND },
      )
      expect(errors.length).toBeGreaterThan(0)
      await revokeAccessToken(db.kysely, { jti: 'after-reconnect', expiresAt: at(MINUTE), now: T0 })
      await vi.waitFor(() => {
        expect(messages).toHaveLength(1)
      })
      expect(parseRevocationEvent(messages[0] ?? '')).toMatchObject({ jti: 'after-reconnect' })
      await unlisten()
    })

    it('routes errors of idle pooled connections to onError without crashing', async () => {
      const errors: unknown[] = []
      await using db = await createTestDatabase('postgres', { onError: (err) => errors.push(err) })
      await db.ping()
      const admin = new pg.Client({ connectionString: db.url })
      await admin.connect()
      try {
        await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where application_name = 'warden' and datname = current_database() and pid <> pg_backend_pid()`,
        )
      } finally {
        await admin.end()
      }
      await vi.waitFor(() => {
        expect(errors.length).toBeGreaterThan(0)
      })
      await db.ping()
    })
  }
})
