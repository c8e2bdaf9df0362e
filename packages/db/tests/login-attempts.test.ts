import { describe, expect, it } from 'vitest'

import {
  activeLockout,
  clearLoginFailures,
  MAX_FAILURES_PER_LIST,
  recentLoginFailures,
  recordLockout,
  recordLoginAttempt,
} from '../src/index.ts'
import { at, describeBackends, MINUTE, SECOND, T0, useTestDatabase } from './helpers.ts'

describeBackends('login throttling', (backend) => {
  const getDb = useTestDatabase(backend)

  describe('attempts', () => {
    it('returns failures since a time per pair, account and IP, oldest first', async () => {
      const db = getDb()
      const attempts: [string, string, boolean, number][] = [
        ['ada@x.io', '10.0.0.1', false, 1],
        ['ada@x.io', '10.0.0.1', false, 3],
        ['ada@x.io', '10.0.0.2', false, 2],
        ['bob@x.io', '10.0.0.1', false, 4],
        ['ada@x.io', '10.0.0.1', true, 5],
        ['ada@x.io', '10.0.0.1', false, -1],
      ]
      for (const [accountKey, ip, success, offset] of attempts) {
        await recordLoginAttempt(db.kysely, { accountKey, ip, success, now: at(offset * SECOND) })
      }
      expect(
        await recentLoginFailures(db.kysely, { accountKey: 'ada@x.io', ip: '10.0.0.1', since: T0 }),
      ).toEqual({
        pair: [at(SECOND), at(3 * SECOND)].map((d) => d.getTime()),
        account: [at(SECOND), at(2 * SECOND), at(3 * SECOND)].map((d) => d.getTime()),
        ip: [at(SECOND), at(3 * SECOND), at(4 * SECOND)].map((d) => d.getTime()),
      })
      expect(
        await recentLoginFailures(db.kysely, {
          accountKey: 'ada@x.io',
          ip: '10.0.0.1',
          since: at(3 * SECOND),
        }),
      ).toEqual({
        pair: [at(3 * SECOND).getTime()],
        account: [at(3 * SECOND).getTime()],
        ip: [at(3 * SECOND).getTime(), at(4 * SECOND).getTime()],
      })
      expect(
        await recentLoginFailures(db.kysely, { accountKey: 'eve@x.io', ip: '10.9.9.9', since: T0 }),
      ).toEqual({ pair: [], account: [], ip: [] })
    })

    it(`keeps only the ${MAX_FAILURES_PER_LIST} most recent failures per list`, async () => {
      const db = getDb()
      const total = MAX_FAILURES_PER_LIST + 5
      await db.kysely
        .insertInto('login_attempt')
        .values(
          Array.from({ length: total }, (_, i) => ({
            account_key: 'ada@x.io',
            ip: '10.0.0.1',
            success: false,
            at: at(i),
          })),
        )
        .execute()
      const failures = await recentLoginFailures(db.kysely, {
        accountKey: 'ada@x.io',
        ip: '10.0.0.1',
        since: T0,
      })
      const expected = Array.from({ length: MAX_FAILURES_PER_LIST }, (_, i) => T0.getTime() + 5 + i)
      expect(failures).toEqual({ pair: expected, account: expected, ip: expected })
    })

    it('clears the failures of one pair only', async () => {
      const db = getDb()
      await recordLoginAttempt(db.kysely, {
        accountKey: 'ada@x.io',
        ip: '10.0.0.1',
        success: false,
        now: at(1),
      })
      await recordLoginAttempt(db.kysely, {
        accountKey: 'ada@x.io',
        ip: '10.0.0.2',
        success: false,
        now: at(2),
      })
      await clearLoginFailures(db.kysely, { accountKey: 'ada@x.io', ip: '10.0.0.1' })
      expect(
        await recentLoginFailures(db.kysely, { accountKey: 'ada@x.io', ip: '10.0.0.1', since: T0 }),
      ).toEqual({ pair: [], account: [at(2).getTime()], ip: [] })
    })
  })

  describe('lockouts', () => {
    it('is in force until its end, exclusive', async () => {
      const db = getDb()
      await recordLockout(db.kysely, {
        scope: 'pair',
        key: 'ada@x.io|10.0.0.1',
        until: at(MINUTE),
        reason: 'too_many_failures',
        now: T0,
      })
      const lockout = {
        scope: 'pair',
        key: 'ada@x.io|10.0.0.1',
        until: at(MINUTE),
        reason: 'too_many_failures',
        createdAt: T0,
      }
      expect(
        await activeLockout(db.kysely, {
          scope: 'pair',
          key: 'ada@x.io|10.0.0.1',
          now: at(MINUTE - 1),
        }),
      ).toEqual(lockout)
      expect(
        await activeLockout(db.kysely, {
          scope: 'pair',
          key: 'ada@x.io|10.0.0.1',
          now: at(MINUTE),
        }),
      ).toBeUndefined()
      expect(
        await activeLockout(db.kysely, { scope: 'account', key: 'ada@x.io|10.0.0.1', now: T0 }),
      ).toBeUndefined()
    })

    it('extends a lockout in force, never shortens it, and replaces an expired one', async () => {
      const db = getDb()
      const key = { scope: 'ip' as const, key: '10.0.0.9' }
      await recordLockout(db.kysely, { ...key, until: at(10 * MINUTE), reason: 'first', now: T0 })
      await recordLockout(db.kysely, {
        ...key,
        until: at(5 * MINUTE),
        reason: 'shorter',
        now: at(MINUTE),
      })
      expect(await activeLockout(db.kysely, { ...key, now: at(MINUTE) })).toMatchObject({
        until: at(10 * MINUTE),
        createdAt: T0,
      })
      await recordLockout(db.kysely, {
        ...key,
        until: at(20 * MINUTE),
        reason: 'longer',
        now: at(2 * MINUTE),
      })
      expect(await activeLockout(db.kysely, { ...key, now: at(2 * MINUTE) })).toMatchObject({
        until: at(20 * MINUTE),
        reason: 'longer',
        createdAt: T0,
      })
      await recordLockout(db.kysely, {
        ...key,
        until: at(25 * MINUTE),
        reason: 'again',
        now: at(21 * MINUTE),
      })
      expect(await activeLockout(db.kysely, { ...key, now: at(21 * MINUTE) })).toEqual({
        ...key,
        until: at(25 * MINUTE),
        reason: 'again',
        createdAt: at(21 * MINUTE),
      })
    })
  })
})
