import { sql, type Kysely } from 'kysely'

import { compileOncePerHandle } from '../internal/compile-once.ts'
import { asPrepared } from '../internal/prepared-statements.ts'
import { revokeFamilies } from '../internal/revoke-families.ts'
import { isUuid } from '../internal/uuid.ts'
import {
  assertDate,
  assertDuration,
  assertTokenHash,
  assertUuid,
  clientText,
  isTokenHash,
} from '../internal/validate.ts'
import { withTransaction } from '../internal/with-transaction.ts'
import type { Database } from '../schema.ts'

/** Who a refresh family belongs to: a user (login) or a service client. */
export type RefreshSubject = { userId: string } | { clientId: string }

/** A user's live session, as listed to them. */
export interface ActiveFamily {
  id: string
  createdAt: Date
  lastUsedAt: Date
  userAgent: string | null
  ip: string | null
}

/** The family a refresh token belongs to. */
export interface FamilyOfToken {
  familyId: string
  userId: string | null
  clientId: string | null
  revokedAt: Date | null
}

/** Longest User-Agent kept; the column's CHECK allows this much. */
export const MAX_USER_AGENT_LENGTH = 512
/** Longest client address kept. */
export const MAX_IP_LENGTH = 64

interface NewFamilyParams {
  userId: string | null
  clientId: string | null
  audience: string
  scope: string | null
  tokenHash: string
  now: Date
  familyExpiresAt: Date
  tokenExpiresAt: Date
  userAgent: string | null
  ip: string | null
}

function buildNewFamily(db: Kysely<Database>, p: NewFamilyParams) {
  return db
    .with('family', (qb) =>
      qb
        .insertInto('refresh_family')
        .values({
          user_id: p.userId,
          client_id: p.clientId,
          audience: p.audience,
          scope: p.scope,
          created_at: p.now,
          expires_at: p.familyExpiresAt,
          last_used_at: p.now,
          user_agent: p.userAgent,
          ip: p.ip,
        })
        .returning('id'),
    )
    .insertInto('refresh_token')
    .columns(['family_id', 'token_hash', 'issued_at', 'expires_at'])
    .expression((eb) =>
      eb
        .selectFrom('family')
        .select([
          'family.id',
          sql<string>`${p.tokenHash}::text`.as('token_hash'),
          sql<Date>`${p.now}::timestamptz`.as('issued_at'),
          sql<Date>`${p.tokenExpiresAt}::timestamptz`.as('expires_at'),
        ]),
    )
    .returning('family_id')
}

// Compiled once per database handle: building this statement costs more than sending it.
const newFamilyStatement = compileOncePerHandle(
  {
    userId: 'text',
    clientId: 'text',
    audience: 'text',
    scope: 'text',
    tokenHash: 'text',
    now: 'date',
    familyExpiresAt: 'date',
    tokenExpiresAt: 'date',
    userAgent: 'text',
    ip: 'text',
  },
  buildNewFamily,
)

/**
 * Starts a refresh family (a session) and its first token in one statement. The family lives
 * at most `maxAgeMs` whatever the rotations; each token lives `ttlMs`, capped by the family.
 *
 * @throws TypeError for a token hash that is not hex SHA-256, a bad subject, duration or date.
 */
export async function createRefreshFamily(
  db: Kysely<Database>,
  input: {
    subject: RefreshSubject
    audience: string
    scope?: string | undefined
    tokenHash: string
    now: Date
    ttlMs: number
    maxAgeMs: number
    userAgent?: string | undefined
    ip?: string | undefined
  },
): Promise<{ familyId: string; tokenExpiresAt: Date; familyExpiresAt: Date }> {
  const { subject, audience, tokenHash, now, ttlMs, maxAgeMs } = input
  assertTokenHash('tokenHash', tokenHash)
  assertDate('now', now)
  assertDuration('ttlMs', ttlMs)
  assertDuration('maxAgeMs', maxAgeMs)
  if (ttlMs === 0 || maxAgeMs === 0) throw new TypeError('ttlMs and maxAgeMs must be positive')
  if ('userId' in subject) assertUuid('subject.userId', subject.userId)
  if (audience.length === 0) throw new TypeError('audience must not be empty')
  const familyExpiresAt = new Date(now.getTime() + maxAgeMs)
  const tokenExpiresAt = new Date(Math.min(now.getTime() + ttlMs, familyExpiresAt.getTime()))
  const query = newFamilyStatement(db, {
    userId: 'userId' in subject ? subject.userId : null,
    clientId: 'clientId' in subject ? subject.clientId : null,
    audience,
    scope: input.scope ?? null,
    tokenHash,
    now,
    familyExpiresAt,
    tokenExpiresAt,
    userAgent: clientText(input.userAgent, MAX_USER_AGENT_LENGTH),
    ip: clientText(input.ip, MAX_IP_LENGTH),
  })
  const { rows } = await db.executeQuery(asPrepared(query))
  const row = rows[0]
  if (row === undefined) throw new Error('createRefreshFamily: the statement returned no row')
  return { familyId: row.family_id, tokenExpiresAt, familyExpiresAt }
}

/**
 * A user's live sessions: not revoked, within their lifetime, and holding a token that can
 * still be used. Most recently used first.
 */
export async function listActiveFamilies(
  db: Kysely<Database>,
  input: { userId: string; now: Date },
): Promise<ActiveFamily[]> {
  const { userId, now } = input
  assertDate('now', now)
  if (!isUuid(userId)) return []
  const rows = await db
    .selectFrom('refresh_family as f')
    .select(['f.id', 'f.created_at', 'f.last_used_at', 'f.user_agent', 'f.ip'])
    .where('f.user_id', '=', userId)
    .where('f.revoked_at', 'is', null)
    .where('f.expires_at', '>', now)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('refresh_token as t')
          .select('t.id')
          .whereRef('t.family_id', '=', 'f.id')
          .where('t.used_at', 'is', null)
          .where('t.revoked_at', 'is', null)
          .where('t.expires_at', '>', now),
      ),
    )
    .orderBy('f.last_used_at', 'desc')
    .orderBy('f.id')
    .execute()
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    userAgent: row.user_agent,
    ip: row.ip,
  }))
}

/**
 * Revokes one live family and all its unrevoked tokens; with `userId`, only if the family is
 * that user's. Returns true when this call revoked it (false: unknown, not the user's, expired
 * or already revoked). A rotation racing the revocation cannot win.
 */
export async function revokeFamily(
  db: Kysely<Database>,
  input: { familyId: string; reason: string; now: Date; userId?: string | undefined },
): Promise<boolean> {
  const { familyId, reason, now, userId } = input
  assertDate('now', now)
  if (!isUuid(familyId) || (userId !== undefined && !isUuid(userId))) return false
  const revoked = await withTransaction(db, (trx) =>
    revokeFamilies(trx, { selection: { familyId, userId }, reason, now }),
  )
  return revoked.length > 0
}

/** Revokes every live family of a user (log out everywhere). Returns how many it revoked. */
export async function revokeAllFamilies(
  db: Kysely<Database>,
  input: { userId: string; reason: string; now: Date },
): Promise<number> {
  const { userId, reason, now } = input
  assertDate('now', now)
  if (!isUuid(userId)) return 0
  const revoked = await withTransaction(db, (trx) =>
    revokeFamilies(trx, { selection: { userId }, reason, now }),
  )
  return revoked.length
}

/** The family of a refresh token, found by the token's hash. */
export async function findFamilyByTokenHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<FamilyOfToken | undefined> {
  if (!isTokenHash(tokenHash)) return undefined
  const row = await db
    .selectFrom('refresh_token as t')
    .innerJoin('refresh_family as f', 'f.id', 't.family_id')
    .select(['f.id', 'f.user_id', 'f.client_id', 'f.revoked_at'])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst()
  return (
    row && {
      familyId: row.id,
      userId: row.user_id,
      clientId: row.client_id,
      revokedAt: row.revoked_at,
    }
  )
}
