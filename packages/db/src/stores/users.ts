import { sql, type Kysely } from 'kysely'

import { isUuid } from '../internal/uuid.ts'
import { assertDate, assertUuid, normaliseNameList } from '../internal/validate.ts'
import { withTransaction } from '../internal/with-transaction.ts'
import type { Database, UserAccountRow } from '../schema.ts'
import { REVOCATION_CHANNEL } from './revocations.ts'

/** A user account. `tokensValidAfter` is the log-out-everywhere cut-off for access tokens. */
export interface User {
  id: string
  tenantId: string
  email: string
  name: string | null
  passwordHash: string
  roles: string[]
  tokensValidAfter: Date | null
  disabledAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** The outcome of creating a user: the email is taken whatever its case. */
export type CreateUserResult = { ok: true; user: User } | { ok: false; reason: 'email_taken' }

/** A user's cut-off: access tokens issued before `tokensValidAfter` are revoked. */
export interface TokenCutoff {
  userId: string
  tokensValidAfter: Date
}

const MAX_ROLES = 32

/** A user as the stores answer it, from its row. */
export function toUser(row: UserAccountRow): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    roles: [...row.roles],
    tokensValidAfter: row.tokens_valid_after,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

async function insertUser(
  db: Kysely<Database>,
  input: {
    email: string
    name: string | null
    passwordHash: string
    tenantId: string
    roles: string[] | undefined
    now: Date
  },
): Promise<User | undefined> {
  // ON CONFLICT on the lower(email) unique index: the database decides who gets the address,
  // so two concurrent sign-ups cannot both pass a "does it exist?" check.
  const row = await db
    .insertInto('user_account')
    .values({
      tenant_id: input.tenantId,
      email: input.email,
      name: input.name,
      password_hash: input.passwordHash,
      roles: input.roles,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .returningAll()
    .executeTakeFirst()
  return row && toUser(row)
}

/**
 * Signs up a user: creates a tenant named `tenantName` and the user in it, in one transaction.
 * An email already taken (in any case) returns `email_taken` and leaves nothing behind.
 *
 * @throws TypeError for bad roles or dates; database errors (a CHECK on the email's shape) roll
 * the whole registration back.
 */
export async function registerUser(
  db: Kysely<Database>,
  input: {
    email: string
    name?: string | undefined
    passwordHash: string
    tenantName: string
    roles?: readonly string[] | undefined
    now: Date
  },
): Promise<CreateUserResult> {
  assertDate('now', input.now)
  const roles = input.roles && normaliseNameList('roles', input.roles, MAX_ROLES)
  return withTransaction(db, async (trx) => {
    const tenant = await trx
      .insertInto('tenant')
      .values({ name: input.tenantName, created_at: input.now })
      .returning('id')
      .executeTakeFirstOrThrow()
    const user = await insertUser(trx, {
      email: input.email,
      name: input.name ?? null,
      passwordHash: input.passwordHash,
      tenantId: tenant.id,
      roles,
      now: input.now,
    })
    if (user) return { ok: true, user }
    // Undone inside the same transaction, so this also holds in a caller's transaction.
    await trx.deleteFrom('tenant').where('id', '=', tenant.id).execute()
    return { ok: false, reason: 'email_taken' }
  })
}

/**
 * Creates a user in an existing tenant (administration, CLI).
 *
 * @throws TypeError for a tenant id that is not a uuid, bad roles or dates.
 */
export async function createUser(
  db: Kysely<Database>,
  input: {
    email: string
    name?: string | undefined
    passwordHash: string
    tenantId: string
    roles: readonly string[]
    now: Date
  },
): Promise<CreateUserResult> {
  assertUuid('tenantId', input.tenantId)
  assertDate('now', input.now)
  const user = await insertUser(db, {
    email: input.email,
    name: input.name ?? null,
    passwordHash: input.passwordHash,
    tenantId: input.tenantId,
    roles: normaliseNameList('roles', input.roles, MAX_ROLES),
    now: input.now,
  })
  return user ? { ok: true, user } : { ok: false, reason: 'email_taken' }
}

/** Finds a user by email, whatever its case (through the `lower(email)` index). */
export async function findUserByEmail(
  db: Kysely<Database>,
  email: string,
): Promise<User | undefined> {
  const row = await db
    .selectFrom('user_account')
    .selectAll()
    .where(sql`lower(email)`, '=', sql<string>`lower(${email})`)
    .executeTakeFirst()
  return row && toUser(row)
}

/** Finds a user by id; an id that is not a uuid is simply not found. */
export async function findUserById(db: Kysely<Database>, id: string): Promise<User | undefined> {
  if (!isUuid(id)) return undefined
  const row = await db
    .selectFrom('user_account')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toUser(row)
}

/** Lists users, of one tenant when `tenantId` is given, oldest first. */
export async function listUsers(
  db: Kysely<Database>,
  input: { tenantId?: string | undefined } = {},
): Promise<User[]> {
  const { tenantId } = input
  if (tenantId !== undefined && !isUuid(tenantId)) return []
  let query = db.selectFrom('user_account').selectAll()
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId)
  const rows = await query.orderBy('created_at').orderBy('id').execute()
  return rows.map(toUser)
}

/**
 * Replaces a user's roles. Returns the updated user, or `undefined` when there is none.
 *
 * @throws TypeError for bad roles or dates.
 */
export async function setUserRoles(
  db: Kysely<Database>,
  input: { userId: string; roles: readonly string[]; now: Date },
): Promise<User | undefined> {
  assertDate('now', input.now)
  const roles = normaliseNameList('roles', input.roles, MAX_ROLES)
  if (!isUuid(input.userId)) return undefined
  const row = await db
    .updateTable('user_account')
    .set({ roles, updated_at: input.now })
    .where('id', '=', input.userId)
    .returningAll()
    .executeTakeFirst()
  return row && toUser(row)
}

/** Replaces a user's password hash (a change of password, or a rehash). True if found. */
export async function setPasswordHash(
  db: Kysely<Database>,
  input: { userId: string; passwordHash: string; now: Date },
): Promise<boolean> {
  assertDate('now', input.now)
  if (!isUuid(input.userId)) return false
  const result = await db
    .updateTable('user_account')
    .set({ password_hash: input.passwordHash, updated_at: input.now })
    .where('id', '=', input.userId)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * Revokes every access token issued to the user before `at` (log out everywhere). The cut-off
 * only moves forward. In the same statement it broadcasts
 * `{"type":"user","userId":…,"after":<epoch ms>}` on {@link REVOCATION_CHANNEL}, delivered when
 * it commits. Returns false when there is no such user.
 */
export async function setTokensValidAfter(
  db: Kysely<Database>,
  input: { userId: string; at: Date },
): Promise<boolean> {
  assertDate('at', input.at)
  if (!isUuid(input.userId)) return false
  const rows = await db
    .with('updated', (qb) =>
      qb
        .updateTable('user_account')
        .set({
          tokens_valid_after: sql<Date>`greatest(tokens_valid_after, ${input.at}::timestamptz)`,
        })
        .where('id', '=', input.userId)
        .returning(['id', 'tokens_valid_after']),
    )
    .selectFrom('updated')
    .select(
      sql<string>`pg_notify(${REVOCATION_CHANNEL}, json_build_object(
        'type', 'user',
        'userId', updated.id,
        'after', floor(extract(epoch from updated.tokens_valid_after) * 1000)::bigint
      )::text)`.as('notified'),
    )
    .execute()
  return rows.length > 0
}

/** The users whose cut-off is at or after `since` (older cut-offs protect nothing any more). */
export async function listTokenCutoffs(
  db: Kysely<Database>,
  input: { since: Date },
): Promise<TokenCutoff[]> {
  assertDate('since', input.since)
  const rows = await db
    .selectFrom('user_account')
    .select(['id', 'tokens_valid_after'])
    .where('tokens_valid_after', '>=', input.since)
    .execute()
  return rows.flatMap((row) =>
    row.tokens_valid_after ? [{ userId: row.id, tokensValidAfter: row.tokens_valid_after }] : [],
  )
}
