import { sql, type Kysely } from 'kysely'

import { compileOncePerHandle } from '../internal/compile-once.ts'
import { asPrepared } from '../internal/prepared-statements.ts'
import { assertDate, assertUuid, clientText } from '../internal/validate.ts'
import type { Database, LockoutScope, UserAccountRow } from '../schema.ts'
import { MAX_AUDIT_IP_LENGTH } from './audit-events.ts'
import { toUser, type User } from './users.ts'

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

/** What a login attempt is decided on before the password is looked at. */
export interface LoginState {
  /** Recent failures, for throttling. */
  failures: RecentLoginFailures
  /** The account the e-mail names, whatever its case; undefined when there is none. */
  user: User | undefined
}

interface LoginStateParams {
  email: string
  accountKey: string
  ip: string
  since: Date
}

function buildLoginState(db: Kysely<Database>, p: LoginStateParams) {
  const failures = (dimension: 'pair' | 'account' | 'ip') => {
    let query = db
      .selectFrom('login_attempt')
      .select('at')
      .where('success', '=', false)
      .where('at', '>=', p.since)
    if (dimension !== 'ip') query = query.where('account_key', '=', p.accountKey)
    if (dimension !== 'account') query = query.where('ip', '=', p.ip)
    // Newest first so that the LIMIT keeps the most recent.
    return query.orderBy('at', 'desc').limit(MAX_FAILURES_PER_LIST)
  }
  // Exactly one row: the account's columns (all null without one) beside the three lists.
  return db
    .selectFrom(sql<{ one: number }>`(select 1)`.as('one'))
    .leftJoin('user_account as u', (join) =>
      join.on(sql<boolean>`lower(u.email) = lower(${p.email})`),
    )
    .selectAll('u')
    .select([
      sql<Date[]>`array(${failures('pair')})`.as('pair_failures'),
      sql<Date[]>`array(${failures('account')})`.as('account_failures'),
      sql<Date[]>`array(${failures('ip')})`.as('ip_failures'),
    ])
}

const loginStateStatement = compileOncePerHandle(
  { email: 'text', accountKey: 'text', ip: 'text', since: 'date' },
  buildLoginState,
)

const ascending = (dates: readonly Date[]) => dates.map((d) => d.getTime()).sort((a, b) => a - b)

/**
 * Everything a login is decided on before its password is checked, in one statement (one round
 * trip): the failed logins since `since` (inclusive) for the account+IP pair, the account across
 * IPs and the IP across accounts, each capped to the {@link MAX_FAILURES_PER_LIST} most recent
 * and oldest first, and the account `email` names, whatever its case (as `findUserByEmail`
 * finds it). `accountKey` is the normalised e-mail that attempts are recorded under.
 */
export async function readLoginState(
  db: Kysely<Database>,
  input: { email: string; accountKey: string; ip: string; since: Date },
): Promise<LoginState> {
  assertDate('since', input.since)
  const query = loginStateStatement(db, input)
  const { rows } = await db.executeQuery(asPrepared(query))
  const row = rows[0]
  if (row === undefined) throw new Error('readLoginState: the statement returned no row')
  const { pair_failures, account_failures, ip_failures, ...account } = row
  return {
    failures: {
      pair: ascending(pair_failures),
      account: ascending(account_failures),
      ip: ascending(ip_failures),
    },
    user: account.id === null ? undefined : toUser(account as UserAccountRow),
  }
}

/** Why a login failed, as its audit event says. */
export type LoginFailureReason = 'unknown_account' | 'wrong_password' | 'disabled'

/** What {@link recordLoginOutcome} records. */
export type LoginOutcome =
  | { readonly success: true; readonly userId: string }
  | {
      readonly success: false
      readonly reason: LoginFailureReason
      /** The account tried, when it exists. */
      readonly userId?: string | undefined
    }

interface OutcomeParams {
  accountKey: string
  ip: string
  now: Date
  userId: string | null
  auditIp: string | null
  reason: string | null
}

function buildOutcome(db: Kysely<Database>, success: boolean, p: OutcomeParams) {
  const attempt = { account_key: p.accountKey, ip: p.ip, success, at: p.now }
  const audit = {
    type: success ? ('login_succeeded' as const) : ('login_failed' as const),
    at: p.now,
    actor_user_id: p.userId,
    ip: p.auditIp,
    reason: p.reason,
  }
  const recorded = db.with('attempt', (qb) => qb.insertInto('login_attempt').values(attempt))
  // A success forgets the pair's failures: the throttle starts over for this account and IP.
  const cleared = success
    ? recorded.with('cleared', (qb) =>
        qb
          .deleteFrom('login_attempt')
          .where('account_key', '=', p.accountKey)
          .where('ip', '=', p.ip)
          .where('success', '=', false),
      )
    : recorded
  return cleared.insertInto('audit_event').values(audit)
}

// The success and the failure statements, each compiled once per database handle.
const outcomeMarkers = {
  accountKey: 'text',
  ip: 'text',
  now: 'date',
  userId: 'text',
  auditIp: 'text',
  reason: 'text',
} as const
const outcomeStatements = {
  success: compileOncePerHandle(outcomeMarkers, (db: Kysely<Database>, p: OutcomeParams) =>
    buildOutcome(db, true, p),
  ),
  failure: compileOncePerHandle(outcomeMarkers, (db: Kysely<Database>, p: OutcomeParams) =>
    buildOutcome(db, false, p),
  ),
}

/**
 * Records how a login attempt ended, in one statement (one round trip, one commit, all or
 * nothing): the attempt that throttling counts (`accountKey` is the normalised email, known
 * account or not), its audit event (`login_succeeded`, or `login_failed` with the reason), and
 * after a success, the account+IP pair's failures forgotten.
 *
 * @throws TypeError for an invalid `now` or a `userId` that is not a uuid
 */
export async function recordLoginOutcome(
  db: Kysely<Database>,
  input: { accountKey: string; ip: string; now: Date; outcome: LoginOutcome },
): Promise<void> {
  const { accountKey, ip, now, outcome } = input
  assertDate('now', now)
  if (outcome.userId !== undefined) assertUuid('userId', outcome.userId)
  const params: OutcomeParams = {
    accountKey,
    ip,
    now,
    userId: outcome.userId ?? null,
    auditIp: clientText(ip, MAX_AUDIT_IP_LENGTH),
    reason: outcome.success ? null : outcome.reason,
  }
  const query = outcomeStatements[outcome.success ? 'success' : 'failure'](db, params)
  await db.executeQuery(asPrepared(query))
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
