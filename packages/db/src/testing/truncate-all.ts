import { Kysely, sql } from 'kysely'

import type { WardenDatabase } from '../create-database.ts'
import { TABLE_NAMES, type Database } from '../schema.ts'

/** Empties every Warden table (not the migration bookkeeping), for a `beforeEach`. */
export async function truncateAll(db: WardenDatabase | Kysely<Database>): Promise<void> {
  const kysely = db instanceof Kysely ? db : db.kysely
  await sql`truncate table ${sql.join(TABLE_NAMES.map((name) => sql.table(name)))} restart identity cascade`.execute(
    kysely,
  )
}
