import { sql, type Kysely } from 'kysely'

import { assertDate } from '../internal/validate.ts'
import type { Database, LockoutScope } from '../schema.ts'

/** Epoch-ms timestamps of recent failed logins, oldest first, per throttling dimension. */
export interface RecentLoginFailures {
  /** This account from this IP. */
  pair: number[]
  /** This account, from any IP. */
  account: number[]
  /** This IP, against any account. */
  ip: number[]
}

/** A lockout in force. */
export interface LoginLockout {
  scope: LockoutScope
  key: string
  until: Date
  reason: string
  createdAt: Date
}

/** The most failures returned per dimension: enough for any sane throttling policy. */
export const MAX_FAILURES_PER_LIST = 200

/** Records one login attempt. `accountKey` is the normalised email, known account or not. */
export async function recordLoginAttempt(
  db: Kysely<Database>,
  input: { accountKey: string; ip: string; success: boolean; now: Date },
): Promise<void> {
  assertDate('now', input.now)
  await db
    .insertInto('login_attempt')
    .values({ account_key: input.accountKey, ip: input.ip, success: input.success, at: input.now })
    .execute()
}

/**
 * The failed logins since `since` (inclusive) for the account+IP pair, the account across IPs
 * and the IP across accounts, each capped to the {@link MAX_FAILURES_PER_LIST} most recent, in
 * one round trip.
 */
export async function recentLoginFailures(
  db: Kysely<Database>,
  input: { accountKey: string; ip: string; since: Date },
): Promise<RecentLoginFailures> {
  const { accountKey, ip, since } = input
  assertDate('since', since)
  const failures = (dimension: 'pair' | 'account' | 'ip') => {
    let query = db
      .selectFrom('login_attempt')
      .select([sql<'pair' | 'account' | 'ip'>`${dimension}::text`.as('dimension'), 'at'])
      .where('success', '=', false)
      .where('at', '>=', since)
    if (dimension !== 'ip') query = query.where('account_key', '=', accountKey)
    if (dimension !== 'account') query = query.where('ip', '=', ip)
    return query.orderBy('at', 'desc').limit(MAX_FAILURES_PER_LIST)
  }
  // Each list is its own subquery so that its ORDER BY … LIMIT applies to it, not to the union.
  const rows = await db
    .selectFrom(failures('pair').as('p'))
    .selectAll()
    .unionAll((qb) => qb.selectFrom(failures('account').as('a')).selectAll())
    .unionAll((qb) => qb.selectFrom(failures('ip').as('i')).selectAll())
    .execute()
  const result: RecentLoginFailures = { pair: [], account: [], ip: [] }
  for (const row of rows) result[row.dimension].push(row.at.getTime())
  for (const list of [result.pair, result.account, result.ip]) list.sort((a, b) => a - b)
  return result
}

/** Forgets the failures of an account+IP pair, after it logged in successfully. */
export async function clearLoginFailures(
  db: Kysely<Database>,
  input: { accountKey: string; ip: string },
): Promise<void> {
  await db
    .deleteFrom('login_attempt')
    .where('account_key', '=', input.accountKey)
    .where('ip', '=', input.ip)
    .where('success', '=', false)
    .execute()
}

/** Locks a scope's key out until `until`. A lockout already in force is only ever extended. */
export async function recordLockout(
  db: Kysely<Database>,
  input: { scope: LockoutScope; key: string; until: Date; reason: string; now: Date },
): Promise<void> {
  assertDate('until', input.until)
  assertDate('now', input.now)
  await db
    .insertInto('login_lockout')
    .values({
      scope: input.scope,
      key: input.key,
      until: input.until,
      reason: input.reason,
      created_at: input.now,
    })
    .onConflict((oc) =>
      oc.columns(['scope', 'key']).doUpdateSet({
        // An expired lockout is replaced; a live one is extended, never shortened.
        until: sql<Date>`case when login_lockout.until > ${input.now}::timestamptz
          then greatest(login_lockout.until, excluded.until) else excluded.until end`,
        reason: sql<string>`excluded.reason`,
        created_at: sql<Date>`case when login_lockout.until > ${input.now}::timestamptz
          then login_lockout.created_at else excluded.created_at end`,
      }),
    )
    .execute()
}

/** The lockout in force for a scope's key at `now`, if any. */
export async function activeLockout(
  db: Kysely<Database>,
  input: { scope: LockoutScope; key: string; now: Date },
): Promise<LoginLockout | undefined> {
  assertDate('now', input.now)
  const row = await db
    .selectFrom('login_lockout')
    .selectAll()
    .where('scope', '=', input.scope)
    .where('key', '=', input.key)
    .where('until', '>', input.now)
    .executeTakeFirst()
  return (
    row && {
      scope: row.scope,
      key: row.key,
      until: row.until,
      reason: row.reason,
      createdAt: row.created_at,
    }
  )
}
