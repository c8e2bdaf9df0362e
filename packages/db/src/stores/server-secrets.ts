import type { Kysely } from 'kysely'

import { assertDate } from '../internal/validate.ts'
import type { Database } from '../schema.ts'

const SECRET_NAME = /^[a-z][a-z0-9_]{0,63}$/

/**
 * Returns the server secret called `name`, creating it with `create()` the first time. Race-safe
 * across instances: INSERT … ON CONFLICT DO NOTHING, then SELECT, so every instance ends up with
 * the value of whichever insert won.
 *
 * @throws TypeError for a bad name, or a created value under 16 or over 1024 bytes.
 */
export async function getOrCreateServerSecret(
  db: Kysely<Database>,
  input: { name: string; create: () => Uint8Array; now: Date },
): Promise<Uint8Array> {
  const { name, now } = input
  assertDate('now', now)
  if (!SECRET_NAME.test(name)) throw new TypeError('A secret name is [a-z][a-z0-9_]{0,63}')
  const existing = await select(db, name)
  if (existing) return existing
  const value = input.create()
  if (value.byteLength < 16 || value.byteLength > 1024) {
    throw new TypeError('A server secret is 16 to 1024 bytes')
  }
  await db
    .insertInto('server_secret')
    .values({ name, value, created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const stored = await select(db, name)
  if (!stored) throw new Error(`Server secret ${name} vanished after it was created`)
  return stored
}

async function select(db: Kysely<Database>, name: string): Promise<Uint8Array | undefined> {
  const row = await db
    .selectFrom('server_secret')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst()
  // A plain Uint8Array copy: node-postgres returns a Buffer view of a shared pool.
  return row && new Uint8Array(row.value)
}
