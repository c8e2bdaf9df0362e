import { sql, type Kysely } from 'kysely'

import type { Database } from '../schema.ts'
import { assertChannelName } from './channel-name.ts'

/** `pg_notify` through kysely, so that on PGlite it waits for the connection like any query. */
export async function notifyWith(
  kysely: Kysely<Database>,
  channel: string,
  payload: string,
): Promise<void> {
  assertChannelName(channel)
  await sql`select pg_notify(${channel}, ${payload})`.execute(kysely)
}

/** `SELECT 1`. */
export async function pingWith(kysely: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(kysely)
}
