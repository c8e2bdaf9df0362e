import { randomBytes } from 'node:crypto'

import pg from 'pg'

import { createDatabase, type WardenDatabase } from '../create-database.ts'
import { migrateToLatest } from '../migrate.ts'
import { adminDatabaseUrl, type TestBackend } from './test-backends.ts'

/** Options of {@link createTestDatabase}; PostgreSQL only except `onError`. */
export interface TestDatabaseOptions {
  /** Pool size, for tests that need many concurrent connections. Default 4. */
  poolMax?: number | undefined
  statementTimeoutMs?: number | undefined
  listenReconnectDelayMs?: { initial?: number | undefined; max?: number | undefined } | undefined
  onError?: ((err: unknown) => void) | undefined
}

/** A test database, migrated; `await using` drops it. */
export type TestDatabase = WardenDatabase &
  AsyncDisposable & {
    /** The database's URL (PostgreSQL) or `memory:` (PGlite). */
    readonly url: string
  }

async function withAdmin(url: string, fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  client.on('error', () => undefined)
  await client.connect()
  try {
    await fn(client)
  } finally {
    await client.end()
  }
}

/**
 * A fresh, migrated database. PGlite: in memory. PostgreSQL: `CREATE DATABASE warden_test_<random>`
 * on the server of `DATABASE_URL`; disposing closes it and drops the database `WITH (FORCE)`.
 *
 * @throws Error for `postgres` when DATABASE_URL is not set.
 * @example
 * ```ts
 * await using db = await createTestDatabase('pglite')
 * ```
 */
export async function createTestDatabase(
  backend: TestBackend,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const db = await createDatabase({ url: 'memory:', onError: options.onError })
    await migrateToLatest(db.kysely)
    return { ...db, url: 'memory:', [Symbol.asyncDispose]: () => db.close() }
  }
  const adminUrl = adminDatabaseUrl()
  if (adminUrl === undefined) throw new Error('DATABASE_URL is not set')
  const name = `warden_test_${randomBytes(8).toString('hex')}`
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`)
  })
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const drop = () =>
    withAdmin(adminUrl, async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`)
    })
  let db: WardenDatabase
  try {
    db = await createDatabase({
      url: url.toString(),
      poolMax: options.poolMax ?? 4,
      statementTimeoutMs: options.statementTimeoutMs,
      listenReconnectDelayMs: options.listenReconnectDelayMs,
      onError: options.onError,
    })
    await migrateToLatest(db.kysely)
  } catch (err) {
    await drop()
    throw err
  }
  return {
    ...db,
    url: url.toString(),
    async [Symbol.asyncDispose]() {
      try {
        await db.close()
      } finally {
        await drop()
      }
    },
  }
}
