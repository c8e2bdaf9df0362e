import { sql, type Kysely } from 'kysely'

import { compileOncePerHandle } from '../internal/compile-once.ts'
import { asPrepared } from '../internal/prepared-statements.ts'
import { revokeFamilies } from '../internal/revoke-families.ts'
import {
  assertDate,
  assertDuration,
  assertTokenHash,
  clientText,
  isTokenHash,
} from '../internal/validate.ts'
import { withTransaction } from '../internal/with-transaction.ts'
import type { Database } from '../schema.ts'
import { recordAuditEvent } from './audit-events.ts'
import { MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH } from './refresh-families.ts'

/** Whom a rotated family belongs to, read fresh from the database at rotation. */
export type RotationSubject =
  | {
      kind: 'user'
      user: { id: string; tenantId: string; roles: string[]; tokensValidAfter: Date | null }
    }
  | { kind: 'client'; clientId: string }

/**
 * The outcome of presenting a refresh token:
 * - `rotated`: the successor (whose hash was given) is now the family's live token; `replay` is
 *   true when this was a repeat within the reuse interval answered with the same successor;
 * - `invalid`: no such token; `expired`: the token or its family's lifetime is over;
 * - `revoked`: the family was revoked (logout, admin) or its subject is disabled;
 * - `reused`: an already-used token was presented again: the family is now revoked.
 */
export type RotationResult =
  | {
      status: 'rotated'
      replay: boolean
      familyId: string
      subject: RotationSubject
      audience: string
      scope: string | null
      expiresAt: Date
    }
  | { status: 'invalid' }
  | { status: 'expired' }
  | { status: 'revoked' }
  | { status: 'reused'; familyId: string; subject: RotationSubject }

/** What {@link rotateRefreshToken} takes. */
export interface RotateRefreshTokenInput {
  /** Hex SHA-256 of the presented token. */
  presentedHash: string
  /** Hex SHA-256 of its successor, derived from the presented token with a server key. */
  successorHash: string
  now: Date
  /** Lifetime of the successor, capped by the family's absolute lifetime. */
  ttlMs: number
  /** How long a just-used token may be presented again for the same successor; 0: never. */
  reuseIntervalMs: number
  userAgent?: string | undefined
  ip?: string | undefined
}

interface SubjectColumns {
  user_id: string | null
  client_id: string | null
  tenant_id: string | null
  roles: string[] | null
  tokens_valid_after: Date | null
}

// 40P01 deadlock_detected, 40001 serialization_failure: PostgreSQL rolled the whole transaction
// back, so running it again is safe. Two reuse detections on tokens of one family can deadlock.
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001'])
const MAX_ATTEMPTS = 3

function subjectOf(row: SubjectColumns): RotationSubject {
  if (row.user_id !== null) {
    if (row.tenant_id === null || row.roles === null) {
      throw new Error('A refresh family points at a user that does not exist')
    }
    return {
      kind: 'user',
      user: {
        id: row.user_id,
        tenantId: row.tenant_id,
        roles: [...row.roles],
        tokensValidAfter: row.tokens_valid_after,
      },
    }
  }
  if (row.client_id !== null) return { kind: 'client', clientId: row.client_id }
  throw new Error('A refresh family has no subject')
}

/** The values of one rotation; see {@link buildRotation}. */
interface RotationParams {
  presentedHash: string
  successorHash: string
  now: Date
  successorExpiry: Date
  userAgent: string | null
  ip: string | null
}

/**
 * The happy path as ONE statement (one round trip, atomic): compare-and-swap `used_at` on the
 * presented token if it is unused, unrevoked, unexpired, in a live family whose subject is
 * active; touch the family; insert the successor (its expiry capped by the family's absolute
 * lifetime); and read the subject. Nothing is read first and decided later: concurrent callers
 * queue on the token's row lock and, once the winner commits, PostgreSQL re-checks the
 * condition on the new row version, so exactly one of them matches.
 *
 * The family is touched with its own liveness condition, and the successor is inserted only if
 * that matched: the UPDATE locks the family row and re-checks it on its latest version, which
 * closes the window in which the first CTE's join saw a family that a concurrent revocation has
 * since revoked. Then no successor exists, no row is returned, and the slow path says `revoked`.
 * Locks are taken token first, family second, as in {@link revokeFamilies}.
 */
function buildRotation(db: Kysely<Database>, values: RotationParams) {
  return db
    .with('used', (qb) =>
      qb
        .updateTable('refresh_token as t')
        .from('refresh_family as f')
        .set({ used_at: values.now })
        .whereRef('f.id', '=', 't.family_id')
        .where('t.token_hash', '=', values.presentedHash)
        .where('t.used_at', 'is', null)
        .where('t.revoked_at', 'is', null)
        .where('t.expires_at', '>', values.now)
        .where('f.revoked_at', 'is', null)
        .where('f.expires_at', '>', values.now)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('user_account as u')
                .select('u.id')
                .whereRef('u.id', '=', 'f.user_id')
                .where('u.disabled_at', 'is not', null),
            ),
          ),
        )
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('service_client as c')
                .select('c.id')
                .whereRef('c.id', '=', 'f.client_id')
                .where('c.enabled', '=', false),
            ),
          ),
        )
        .returning(['t.id', 't.family_id']),
    )
    .with('family', (qb) =>
      qb
        .updateTable('refresh_family')
        .from('used')
        .set({
          last_used_at: sql<Date>`greatest(refresh_family.last_used_at, ${values.now}::timestamptz)`,
          user_agent: sql<
            string | null
          >`coalesce(${values.userAgent}::text, refresh_family.user_agent)`,
          ip: sql<string | null>`coalesce(${values.ip}::text, refresh_family.ip)`,
        })
        .whereRef('refresh_family.id', '=', 'used.family_id')
        .where('refresh_family.revoked_at', 'is', null)
        .where('refresh_family.expires_at', '>', values.now)
        .returning([
          'refresh_family.id',
          'refresh_family.user_id',
          'refresh_family.client_id',
          'refresh_family.audience',
          'refresh_family.scope',
          'refresh_family.expires_at',
        ]),
    )
    .with('child', (qb) =>
      qb
        .insertInto('refresh_token')
        .columns(['family_id', 'token_hash', 'parent_id', 'issued_at', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom('family')
            .innerJoin('used', 'used.family_id', 'family.id')
            .select([
              'family.id',
              sql<string>`${values.successorHash}::text`.as('token_hash'),
              'used.id as parent_id',
              sql<Date>`${values.now}::timestamptz`.as('issued_at'),
              sql<Date>`least(${values.successorExpiry}::timestamptz, family.expires_at)`.as(
                'expires_at',
              ),
            ]),
        )
        .returning(['parent_id', 'expires_at']),
    )
    .selectFrom('used')
    .innerJoin('child', 'child.parent_id', 'used.id')
    .innerJoin('family', 'family.id', 'used.family_id')
    .leftJoin('user_account as u', 'u.id', 'family.user_id')
    .select([
      'family.id as family_id',
      'family.user_id',
      'family.client_id',
      'family.audience',
      'family.scope',
      'child.expires_at',
      'u.tenant_id',
      'u.roles',
      'u.tokens_valid_after',
    ])
}

// The rotation's statement, compiled once per database handle (see `compileOnce`).
const rotationStatement = compileOncePerHandle(
  {
    presentedHash: 'text',
    successorHash: 'text',
    now: 'date',
    successorExpiry: 'date',
    userAgent: 'text',
    ip: 'text',
  },
  buildRotation,
)

async function rotateInOneStatement(db: Kysely<Database>, input: RotateRefreshTokenInput) {
  const { presentedHash, successorHash, now, ttlMs } = input
  const query = rotationStatement(db, {
    presentedHash,
    successorHash,
    now,
    successorExpiry: new Date(now.getTime() + ttlMs),
    userAgent: clientText(input.userAgent, MAX_USER_AGENT_LENGTH),
    ip: clientText(input.ip, MAX_IP_LENGTH),
  })
  const { rows } = await db.executeQuery(asPrepared(query))
  return rows[0]
}

/**
 * Locks the presented token's row, then reads it with its family, subject and successor (if
 * any). Two statements on purpose: under READ COMMITTED a `SELECT … FOR UPDATE` that waited for
 * the lock re-reads the locked row but not the rows it is joined with, so the family would be
 * seen as it was before the transaction we waited for (a concurrent reuse detection) revoked
 * it. The second statement takes a new snapshot, after the lock is ours.
 */
async function lockPresented(trx: Kysely<Database>, presentedHash: string) {
  const locked = await trx
    .selectFrom('refresh_token')
    .select('id')
    .where('token_hash', '=', presentedHash)
    .forUpdate()
    .executeTakeFirst()
  if (!locked) return undefined
  return trx
    .selectFrom('refresh_token as t')
    .innerJoin('refresh_family as f', 'f.id', 't.family_id')
    .leftJoin('user_account as u', 'u.id', 'f.user_id')
    .leftJoin('service_client as c', 'c.id', 'f.client_id')
    .leftJoin('refresh_token as child', 'child.parent_id', 't.id')
    .select([
      't.id',
      't.family_id',
      't.expires_at',
      't.used_at',
      't.revoked_at',
      'f.user_id',
      'f.client_id',
      'f.audience',
      'f.scope',
      'f.expires_at as family_expires_at',
      'f.revoked_at as family_revoked_at',
      'f.revoke_reason as family_revoke_reason',
      'u.tenant_id',
      'u.roles',
      'u.tokens_valid_after',
      'u.disabled_at',
      'c.enabled as client_enabled',
      'child.token_hash as child_token_hash',
      'child.expires_at as child_expires_at',
      'child.used_at as child_used_at',
      'child.revoked_at as child_revoked_at',
    ])
    .where('t.id', '=', locked.id)
    .executeTakeFirst()
}

/**
 * Everything but the happy path, in one transaction that holds the presented token's row lock
 * while it decides, so concurrent presentations are judged one after the other.
 */
async function rotateUnderLock(
  trx: Kysely<Database>,
  input: RotateRefreshTokenInput,
): Promise<RotationResult> {
  const { presentedHash, successorHash, now, reuseIntervalMs } = input
  const row = await lockPresented(trx, presentedHash)
  if (!row) return { status: 'invalid' }
  const subject = subjectOf(row)

  if (row.family_revoked_at !== null || row.revoked_at !== null) {
    // A used token whose family died of reuse detection is still a replay of a used token: the
    // concurrent presentations that queued behind the one that revoked the family say so too.
    const diedOfReuse = row.used_at !== null && row.family_revoke_reason === 'reuse_detected'
    return diedOfReuse
      ? { status: 'reused', familyId: row.family_id, subject }
      : { status: 'revoked' }
  }
  if (row.disabled_at !== null || row.client_enabled === false) return { status: 'revoked' }
  if (row.expires_at <= now || row.family_expires_at <= now) return { status: 'expired' }

  if (row.used_at === null) {
    // Unused and live now, though the one-statement path did not match a moment ago (its
    // subject or family changed in between). We hold the token's lock: rotate here.
    const rotated = await rotateInOneStatement(trx, input)
    if (!rotated) return { status: 'revoked' }
    return {
      status: 'rotated',
      replay: false,
      familyId: rotated.family_id,
      subject: subjectOf(rotated),
      audience: rotated.audience,
      scope: rotated.scope,
      expiresAt: rotated.expires_at,
    }
  }

  const successorExpiresAt = row.child_expires_at
  const replayable =
    now.getTime() - row.used_at.getTime() < reuseIntervalMs &&
    row.child_token_hash === successorHash &&
    row.child_used_at === null &&
    row.child_revoked_at === null &&
    successorExpiresAt !== null &&
    successorExpiresAt > now
  if (replayable) {
    // Single-successor replay: the caller re-derives the same successor from the same token, so
    // a lost response or a second tab gets the token it missed, and nothing new is issued.
    await trx
      .updateTable('refresh_family')
      .set({ last_used_at: sql<Date>`greatest(last_used_at, ${now}::timestamptz)` })
      .where('id', '=', row.family_id)
      .execute()
    return {
      status: 'rotated',
      replay: true,
      familyId: row.family_id,
      subject,
      audience: row.audience,
      scope: row.scope,
      expiresAt: successorExpiresAt,
    }
  }

  // A used token presented again outside the grace rules: someone holds a copy (RFC 9700
  // §4.14.2). Revoke the whole family so neither copy works.
  await revokeFamilies(trx, {
    selection: { familyId: row.family_id },
    reason: 'reuse_detected',
    now,
  })
  const actor =
    subject.kind === 'user' ? { actorUserId: subject.user.id } : { actorClientId: subject.clientId }
  await recordAuditEvent(trx, {
    type: 'reuse_detected',
    at: now,
    ...actor,
    ip: input.ip,
    familyId: row.family_id,
    details: { tokenId: row.id, usedAt: row.used_at.toISOString() },
  })
  await recordAuditEvent(trx, {
    type: 'family_revoked',
    at: now,
    ...actor,
    ip: input.ip,
    reason: 'reuse_detected',
    familyId: row.family_id,
  })
  return { status: 'reused', familyId: row.family_id, subject }
}

function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code: unknown = Reflect.get(err, 'code')
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)
}

/**
 * Rotates a refresh token. The happy path is one SQL statement (compare-and-swap on `used_at`,
 * insert the successor, touch the family: one round trip, atomic); every other outcome is
 * decided in a transaction holding the presented token's row lock. See {@link RotationResult}.
 *
 * `used_at` is only ever set inside that statement or transaction, so a rotation that fails or
 * rolls back (also as part of a caller's transaction, when `db` is one) burns nothing: the
 * legitimate client's retry is not mistaken for a theft.
 *
 * @throws TypeError for a successor hash that is not hex SHA-256 or equals the presented one,
 * or a bad duration or date.
 */
export async function rotateRefreshToken(
  db: Kysely<Database>,
  input: RotateRefreshTokenInput,
): Promise<RotationResult> {
  const { presentedHash, successorHash, now, ttlMs, reuseIntervalMs } = input
  assertTokenHash('successorHash', successorHash)
  assertDate('now', now)
  assertDuration('ttlMs', ttlMs)
  assertDuration('reuseIntervalMs', reuseIntervalMs)
  if (ttlMs === 0) throw new TypeError('ttlMs must be positive')
  if (successorHash === presentedHash) {
    throw new TypeError('successorHash must differ from presentedHash')
  }
  if (!isTokenHash(presentedHash)) return { status: 'invalid' }

  const rotated = await rotateInOneStatement(db, input)
  if (rotated) {
    return {
      status: 'rotated',
      replay: false,
      familyId: rotated.family_id,
      subject: subjectOf(rotated),
      audience: rotated.audience,
      scope: rotated.scope,
      expiresAt: rotated.expires_at,
    }
  }
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await withTransaction(db, (trx) => rotateUnderLock(trx, input))
    } catch (err) {
      if (db.isTransaction || attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw err
    }
  }
}
