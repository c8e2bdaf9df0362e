import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import {
  activeLockout,
  findUserByEmail,
  listAuditEvents,
  MAX_FAILURES_PER_LIST,
  readLoginState,
  recordLockout,
  recordLoginAttempt,
  recordLoginOutcome,
} from '../src/index.ts'
import type { TestDatabase } from '../src/testing/index.ts'
import { at, describeBackends, makeUser, MINUTE, SECOND, T0, useTestDatabase } from './helpers.ts'

const ada = { accountKey: 'ada@x.io', ip: '10.0.0.1' }

/** The failure lists `readLoginState` answers for an account key (also used as the e-mail). */
async function recentFailures(
  db: TestDatabase,
  input: { accountKey: string; ip: string; since: Date },
) {
  return (await readLoginState(db.kysely, { ...input, email: input.accountKey })).failures
}

/** A new user, with one failed login (a wrong password) from `ada`'s pair at `at(1)`. */
async function userWithOneFailure(db: TestDatabase) {
  const user = await makeUser(db)
  await recordLoginOutcome(db.kysely, {
    ...ada,
    now: at(1),
    outcome: { success: false, reason: 'wrong_password', userId: user.id },
  })
  return user
}

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
        await recentFailures(db, { accountKey: 'ada@x.io', ip: '10.0.0.1', since: T0 }),
      ).toEqual({
        pair: [at(SECOND), at(3 * SECOND)].map((d) => d.getTime()),
        account: [at(SECOND), at(2 * SECOND), at(3 * SECOND)].map((d) => d.getTime()),
        ip: [at(SECOND), at(3 * SECOND), at(4 * SECOND)].map((d) => d.getTime()),
      })
      expect(
        await recentFailures(db, {
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
        await recentFailures(db, { accountKey: 'eve@x.io', ip: '10.9.9.9', since: T0 }),
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
      const failures = await recentFailures(db, {
        accountKey: 'ada@x.io',
        ip: '10.0.0.1',
        since: T0,
      })
      const expected = Array.from({ length: MAX_FAILURES_PER_LIST }, (_, i) => T0.getTime() + 5 + i)
      expect(failures).toEqual({ pair: expected, account: expected, ip: expected })
    })

    it('answers the account the e-mail names, whatever its case, beside the failures', async () => {
      const db = getDb()
      const user = await userWithOneFailure(db)
      const other = await makeUser(db, { email: 'Grace@Example.test' })
      const state = await readLoginState(db.kysely, {
        ...ada,
        email: user.email.toUpperCase(),
        since: T0,
      })
      expect(state.user).toEqual(await findUserByEmail(db.kysely, user.email))
      expect(state.user?.id).toBe(user.id)
      // The failures are counted under the account key, not looked up through the account.
      expect(state.failures).toEqual({
        pair: [at(1).getTime()],
        account: [at(1).getTime()],
        ip: [at(1).getTime()],
      })
      // The statement is compiled once; a second call with other values answers for them.
      const grace = await readLoginState(db.kysely, {
        accountKey: 'grace@example.test',
        ip: '10.0.0.9',
        email: 'grace@example.TEST',
        since: T0,
      })
      expect(grace.user?.id).toBe(other.id)
      expect(grace.failures).toEqual({ pair: [], account: [], ip: [] })
    })

    it('answers no account for an e-mail nobody has, failures or not', async () => {
      const db = getDb()
      await userWithOneFailure(db)
      for (const email of ['nobody@x.io', "ada@x.io' or '1'='1", '%@%', '']) {
        const state = await readLoginState(db.kysely, { ...ada, email, since: T0 })
        expect(state.user).toBeUndefined()
        expect(state.failures.pair).toEqual([at(1).getTime()])
      }
    })

    it('answers a disabled account as it is, for the caller to refuse', async () => {
      const db = getDb()
      const user = await makeUser(db)
      await db.kysely
        .updateTable('user_account')
        .set({ disabled_at: at(MINUTE) })
        .where('id', '=', user.id)
        .execute()
      const state = await readLoginState(db.kysely, { ...ada, email: user.email, since: T0 })
      expect(state.user?.disabledAt).toEqual(at(MINUTE))
    })

    it('refuses an invalid since', async () => {
      const db = getDb()
      await expect(
        readLoginState(db.kysely, { ...ada, email: 'a@x.io', since: new Date(Number.NaN) }),
      ).rejects.toThrow(TypeError)
    })

    it('records a failure in one statement: the attempt counted, its audit event with the reason', async () => {
      const db = getDb()
      const user = await userWithOneFailure(db)
      await recordLoginOutcome(db.kysely, {
        accountKey: 'eve@x.io',
        ip: ada.ip,
        now: at(2),
        outcome: { success: false, reason: 'unknown_account' },
      })
      expect(await recentFailures(db, { ...ada, since: T0 })).toEqual({
        pair: [at(1).getTime()],
        account: [at(1).getTime()],
        ip: [at(1).getTime(), at(2).getTime()],
      })
      const events = await listAuditEvents(db.kysely, { type: 'login_failed' })
      expect(
        events.map(({ at, actorUserId, ip, reason }) => ({ at, actorUserId, ip, reason })),
      ).toEqual([
        { at: at(1), actorUserId: user.id, ip: ada.ip, reason: 'wrong_password' },
        { at: at(2), actorUserId: null, ip: ada.ip, reason: 'unknown_account' },
      ])
    })

    it('records a success in one statement: the attempt, its audit event, and the pair’s failures forgotten', async () => {
      const db = getDb()
      const user = await makeUser(db)
      const failure = { success: false, reason: 'wrong_password', userId: user.id } as const
      await recordLoginOutcome(db.kysely, { ...ada, now: at(1), outcome: failure })
      await recordLoginOutcome(db.kysely, { ...ada, ip: '10.0.0.2', now: at(2), outcome: failure })
      await recordLoginOutcome(db.kysely, {
        accountKey: 'bob@x.io',
        ip: ada.ip,
        now: at(3),
        outcome: { success: false, reason: 'unknown_account' },
      })
      await recordLoginOutcome(db.kysely, {
        ...ada,
        now: at(4),
        outcome: { success: true, userId: user.id },
      })
      // Only this account from this IP starts over; its other IP and this IP's other accounts
      // keep counting.
      expect(await recentFailures(db, { ...ada, since: T0 })).toEqual({
        pair: [],
        account: [at(2).getTime()],
        ip: [at(3).getTime()],
      })
      const successes = await db.kysely
        .selectFrom('login_attempt')
        .select(['account_key', 'ip', 'at'])
        .where('success', '=', true)
        .execute()
      expect(successes).toEqual([{ account_key: ada.accountKey, ip: ada.ip, at: at(4) }])
      const events = await listAuditEvents(db.kysely, { type: 'login_succeeded' })
      expect(
        events.map(({ at, actorUserId, ip, reason }) => ({ at, actorUserId, ip, reason })),
      ).toEqual([{ at: at(4), actorUserId: user.id, ip: ada.ip, reason: null }])
    })

    it('records nothing of an outcome when a part of it fails', async () => {
      const db = getDb()
      const user = await userWithOneFailure(db)
      // The audit event, written last, cannot be written: neither the attempt nor the clearing
      // of the pair's failure may stay.
      await sql`create function refuse_audit() returns trigger language plpgsql as
        $$ begin raise exception 'audit refused'; end $$`.execute(db.kysely)
      await sql`create trigger refuse_audit before insert on audit_event
        for each row execute function refuse_audit()`.execute(db.kysely)
      try {
        await expect(
          recordLoginOutcome(db.kysely, {
            ...ada,
            now: at(2),
            outcome: { success: true, userId: user.id },
          }),
        ).rejects.toThrow('audit refused')
      } finally {
        await sql`drop trigger refuse_audit on audit_event`.execute(db.kysely)
        await sql`drop function refuse_audit()`.execute(db.kysely)
      }
      expect((await listAuditEvents(db.kysely)).map((event) => event.type)).toEqual([
        'login_failed',
      ])
      expect(await recentFailures(db, { ...ada, since: T0 })).toEqual({
        pair: [at(1).getTime()],
        account: [at(1).getTime()],
        ip: [at(1).getTime()],
      })
      const successes = db.kysely.selectFrom('login_attempt').where('success', '=', true)
      expect(await successes.selectAll().execute()).toEqual([])
    })

    it.each([
      ['an invalid date', { now: new Date(Number.NaN) }],
      ['a user id that is not a uuid', { outcome: { success: true, userId: 'ada' } }],
    ] as const)('refuses %s with a TypeError, recording nothing', async (_, change) => {
      const db = getDb()
      await expect(
        recordLoginOutcome(db.kysely, {
          ...ada,
          now: at(1),
          outcome: { success: false, reason: 'unknown_account' },
          ...change,
        }),
      ).rejects.toThrow(TypeError)
      expect(await db.kysely.selectFrom('login_attempt').selectAll().execute()).toEqual([])
      expect(await listAuditEvents(db.kysely)).toEqual([])
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
