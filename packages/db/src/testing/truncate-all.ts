import { Kysely } from 'kysely'

import type { WardenDatabase } from '../create-database.ts'
import { withTransaction } from '../internal/with-transaction.ts'
import type { Database } from '../schema.ts'

// Children before parents, so no foreign key is ever violated on the way.
const DELETE_ORDER = [
  'refresh_token',
  'refresh_family',
  'revoked_access_token',
  'audit_event',
  'login_attempt',
  'login_lockout',
  'project',
  'invoice',
  'user_account',
  'tenant',
  'service_client',
  'server_secret',
] as const satisfies readonly (keyof Database)[]

// A compile error here names a table missing from DELETE_ORDER.
type Forgotten = Exclude<keyof Database, (typeof DELETE_ORDER)[number]>
const _everyTableListed: [Forgotten] extends [never] ? true : Forgotten = true

/**
 * Empties every Warden table (not the migration bookkeeping), for a `beforeEach`. It deletes
 * rather than TRUNCATEs: on PostgreSQL, TRUNCATE of a dozen tables costs about a quarter of a
 * second (it replaces their files), DELETE on a test's few rows a few milliseconds.
 */
export async function truncateAll(db: WardenDatabase | Kysely<Database>): Promise<void> {
  const kysely = db instanceof Kysely ? db : db.kysely
  await withTransaction(kysely, async (trx) => {
    for (const table of DELETE_ORDER) await trx.deleteFrom(table).execute()
  })
}
