import type { Kysely } from 'kysely'

import { assertDate, normaliseNameList } from '../internal/validate.ts'
import type { Database, ServiceClientRow } from '../schema.ts'

/** A machine client of the token endpoint (client credentials). */
export interface ServiceClient {
  id: string
  name: string | null
  /** argon2id PHC string of the secret; the secret itself is never stored. */
  secretHash: string
  audiences: string[]
  scopes: string[]
  enabled: boolean
  createdAt: Date
  updatedAt: Date
}

/** The outcome of creating a service client. */
export type CreateServiceClientResult =
  { ok: true; client: ServiceClient } | { ok: false; reason: 'id_taken' }

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/

function toServiceClient(row: ServiceClientRow): ServiceClient {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    audiences: [...row.audiences],
    scopes: [...row.scopes],
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Registers a service client. An id already in use returns `id_taken` (decided by the primary
 * key, not by a prior read).
 *
 * @throws TypeError for an id outside `[A-Za-z0-9._:-]{1,128}`, no audience, or bad names.
 */
export async function createServiceClient(
  db: Kysely<Database>,
  input: {
    id: string
    name?: string | undefined
    secretHash: string
    audiences: readonly string[]
    scopes: readonly string[]
    now: Date
  },
): Promise<CreateServiceClientResult> {
  assertDate('now', input.now)
  if (!CLIENT_ID.test(input.id)) throw new TypeError('id must match [A-Za-z0-9._:-]{1,128}')
  const audiences = normaliseNameList('audiences', input.audiences, 32)
  if (audiences.length === 0) throw new TypeError('A service client needs an audience')
  const row = await db
    .insertInto('service_client')
    .values({
      id: input.id,
      name: input.name ?? null,
      secret_hash: input.secretHash,
      audiences,
      scopes: normaliseNameList('scopes', input.scopes, 64),
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst()
  return row ? { ok: true, client: toServiceClient(row) } : { ok: false, reason: 'id_taken' }
}

/** Finds a service client by id (enabled or not: the caller checks `enabled`). */
export async function findServiceClient(
  db: Kysely<Database>,
  id: string,
): Promise<ServiceClient | undefined> {
  if (!CLIENT_ID.test(id)) return undefined
  const row = await db
    .selectFrom('service_client')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toServiceClient(row)
}

/**
 * Enables or disables a service client. A disabled client cannot authenticate nor rotate its
 * refresh tokens. Returns the client, or `undefined` when there is none.
 */
export async function setServiceClientEnabled(
  db: Kysely<Database>,
  input: { id: string; enabled: boolean; now: Date },
): Promise<ServiceClient | undefined> {
  assertDate('now', input.now)
  if (!CLIENT_ID.test(input.id)) return undefined
  const row = await db
    .updateTable('service_client')
    .set({ enabled: input.enabled, updated_at: input.now })
    .where('id', '=', input.id)
    .returningAll()
    .executeTakeFirst()
  return row && toServiceClient(row)
}

/** Every service client, by id. */
export async function listServiceClients(db: Kysely<Database>): Promise<ServiceClient[]> {
  const rows = await db.selectFrom('service_client').selectAll().orderBy('id').execute()
  return rows.map(toServiceClient)
}
