import type { Kysely, Transaction } from 'kysely'

import type { Database } from '../schema.ts'

/**
 * Runs `fn` in a transaction: a new one, or the caller's when `db` already is a transaction (so
 * a store can be composed into a larger unit of work and roll back with it).
 */
export function withTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db)
  return db.transaction().execute((trx: Transaction<Database>) => fn(trx))
}
