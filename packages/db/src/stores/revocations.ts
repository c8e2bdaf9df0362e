import { sql, type Kysely } from 'kysely'

import { assertDate, assertUuid } from '../internal/validate.ts'
import type { Database } from '../schema.ts'

/** The NOTIFY channel on which revocations are broadcast to every instance. */
export const REVOCATION_CHANNEL = 'warden_revocation'

/**
 * A revocation broadcast on {@link REVOCATION_CHANNEL}: one access token until its expiry
 * (`exp`, epoch seconds), or every token of a user issued before `after` (epoch ms).
 */
export type RevocationEvent =
  { type: 'jti'; jti: string; exp: number } | { type: 'user'; userId: string; after: number }

/** A revoked access token still worth remembering (not yet expired). */
export interface ActiveRevocation {
  jti: string
  expiresAt: Date
}

const MAX_JTI_LENGTH = 256

function isEpoch(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/**
 * Parses a payload received on {@link REVOCATION_CHANNEL}. Returns `undefined` for anything
 * that is not exactly a revocation event (never throws), so junk on the channel is ignored.
 */
export function parseRevocationEvent(payload: string): RevocationEvent | undefined {
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const type: unknown = Reflect.get(value, 'type')
  if (type === 'jti') {
    const jti: unknown = Reflect.get(value, 'jti')
    const exp: unknown = Reflect.get(value, 'exp')
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return undefined
    if (!isEpoch(exp) || Object.keys(value).length !== 3) return undefined
    return { type, jti, exp }
  }
  if (type === 'user') {
    const userId: unknown = Reflect.get(value, 'userId')
    const after: unknown = Reflect.get(value, 'after')
    if (typeof userId !== 'string' || !/^[0-9a-f-]{36}$/.test(userId)) return undefined
    if (!isEpoch(after) || Object.keys(value).length !== 3) return undefined
    return { type, userId, after }
  }
  return undefined
}

/**
 * Revokes one access token until `expiresAt` (idempotent: a repeat keeps the later expiry) and
 * broadcasts `{"type":"jti","jti":…,"exp":…}` on {@link REVOCATION_CHANNEL} in the same
 * statement, so the notification is delivered exactly when the revocation commits.
 *
 * @throws TypeError for an empty or over-long `jti`, a bad `userId` or an invalid date.
 */
export async function revokeAccessToken(
  db: Kysely<Database>,
  input: { jti: string; userId?: string | undefined; expiresAt: Date; now: Date },
): Promise<void> {
  const { jti, userId, expiresAt, now } = input
  if (jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new TypeError(`jti must be 1 to ${MAX_JTI_LENGTH} characters`)
  }
  if (userId !== undefined) assertUuid('userId', userId)
  assertDate('expiresAt', expiresAt)
  assertDate('now', now)
  // `exp` is rounded up: a revocation may outlive its token by under a second, never the reverse.
  await db
    .with('revoked', (qb) =>
      qb
        .insertInto('revoked_access_token')
        .values({ jti, user_id: userId ?? null, expires_at: expiresAt, revoked_at: now })
        .onConflict((oc) =>
          oc.column('jti').doUpdateSet({
            expires_at: sql<Date>`greatest(revoked_access_token.expires_at, excluded.expires_at)`,
            user_id: sql<string | null>`coalesce(revoked_access_token.user_id, excluded.user_id)`,
          }),
        )
        .returning(['jti', 'expires_at']),
    )
    .selectFrom('revoked')
    .select(
      sql<string>`pg_notify(${REVOCATION_CHANNEL}, json_build_object(
        'type', 'jti',
        'jti', revoked.jti,
        'exp', ceil(extract(epoch from revoked.expires_at))::bigint
      )::text)`.as('notified'),
    )
    .execute()
}

/** The revoked access tokens that have not expired yet, to load an in-memory deny list. */
export async function listActiveRevocations(
  db: Kysely<Database>,
  input: { now: Date },
): Promise<ActiveRevocation[]> {
  assertDate('now', input.now)
  const rows = await db
    .selectFrom('revoked_access_token')
    .select(['jti', 'expires_at'])
    .where('expires_at', '>', input.now)
    .orderBy('expires_at')
    .execute()
  return rows.map((row) => ({ jti: row.jti, expiresAt: row.expires_at }))
}
