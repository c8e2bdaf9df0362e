import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely'

import type { Database } from '../schema.ts'

/** Which live families to revoke: one (optionally only if it is that user's), or all of a user's. */
export type FamilySelection = { familyId: string; userId?: string | undefined } | { userId: string }

function selects(
  eb: ExpressionBuilder<Database, 'refresh_family'>,
  selection: FamilySelection,
  now: Date,
): Expression<SqlBool> {
  const conditions = [eb('revoked_at', 'is', null), eb('expires_at', '>', now)]
  if ('familyId' in selection) conditions.push(eb('id', '=', selection.familyId))
  if (selection.userId !== undefined) conditions.push(eb('user_id', '=', selection.userId))
  return eb.and(conditions)
}

/**
 * Revokes the selected live families and all their unrevoked tokens; returns the ids of the
 * families it revoked. Run it inside a transaction. The family row is what every rotation
 * re-checks under its lock: once it is revoked, nothing of the family rotates.
 *
 * Order matters twice. The token rows are revoked first because they are what rotation's
 * compare-and-swap checks under its row lock, so a rotation racing this revocation either
 * committed before it (and its child dies with the family, which rotation re-checks under the
 * family row's lock) or sees `revoked_at` and loses. And rotation locks a token row, then its
 * family row: taking locks in the same order here (tokens sorted by id, then families) keeps the
 * two from deadlocking each other.
 */
export async function revokeFamilies(
  trx: Kysely<Database>,
  input: { selection: FamilySelection; reason: string; now: Date },
): Promise<string[]> {
  const { selection, reason, now } = input
  await trx
    .updateTable('refresh_token')
    .set({ revoked_at: now, revoke_reason: reason })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('refresh_token')
        .select('id')
        .where('family_id', 'in', (inner) =>
          inner
            .selectFrom('refresh_family')
            .select('id')
            .where((family) => selects(family, selection, now)),
        )
        .where('revoked_at', 'is', null)
        .orderBy('id')
        .forUpdate(),
    )
    .execute()
  const revoked = await trx
    .updateTable('refresh_family')
    .set({ revoked_at: now, revoke_reason: reason })
    .where((eb) => selects(eb, selection, now))
    .returning('id')
    .execute()
  const familyIds = revoked.map((row) => row.id)
  if (familyIds.length > 0) {
    // A rotation that won before the family row was revoked committed its successor after the
    // first sweep's snapshot: sweep again. A token still locked now belongs to a rotation that
    // waits for the family row we hold and fails its re-check once we commit; waiting for it
    // would deadlock, so it is skipped.
    await trx
      .updateTable('refresh_token')
      .set({ revoked_at: now, revoke_reason: reason })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('refresh_token')
          .select('id')
          .where('family_id', 'in', familyIds)
          .where('revoked_at', 'is', null)
          .orderBy('id')
          .forUpdate()
          .skipLocked(),
      )
      .execute()
  }
  return familyIds
}
