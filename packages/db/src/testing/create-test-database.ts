import { createHash, randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

import { createDatabase, type WardenDatabase } from '../create-database.ts'
import { PGLITE_OPTIONS, wrapPGlite } from '../internal/wrap-pglite.ts'
import { migrateToLatest } from '../migrate.ts'
import { migrations } from '../migrations/index.ts'
import { adminDatabaseUrl, type TestBackend } from './test-backends.ts'

/** Options of {@link createTestDatabase}; PostgreSQL only except `onError`. */
export interface TestDatabaseOptions {
  /** Pool size, for tests that need many concurrent connections. Default 4. */
  poolMax?: number | undefined
  statementTimeoutMs?: number | undefined
  listenReconnectDelayMs?: { initial?: number | undefined; max?: number | undefined } | undefined
  onError?: ((err: unknown) => void) | undefined
  /** See `CreateDatabaseOptions.onQuery` (the migrations' statements included). */
  onQuery?: ((sql: string) => void) | undefined
  /** Run Warden's migrations. Default true; false gives an empty database. */
  migrate?: boolean | undefined
}

/** A test database; `await using` closes it (and drops it on PostgreSQL). */
export type TestDatabase = WardenDatabase &
  AsyncDisposable & {
    /** The database's URL (PostgreSQL) or `memory:` (PGlite). */
    readonly url: string
  }

const IMAGE_CACHE_DIR = fileURLToPath(
  new URL('../../node_modules/.cache/warden-db/', import.meta.url),
)

let migratedPGlite: Promise<Blob> | undefined

/**
 * Names a migrated image by what it was made from: the PGlite build installed and the source of
 * every migration, so an upgrade or an edited migration never boots from a stale image.
 */
function imageFile(): string {
  const pgliteEntry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  const { size, mtimeMs } = statSync(pgliteEntry)
  const hash = createHash('sha256').update(`${pgliteEntry}:${size}:${mtimeMs}`)
  for (const [name, migration] of Object.entries(migrations)) {
    hash.update(`${name}:${migration.up.toString()}:${migration.down.toString()}`)
  }
  return join(IMAGE_CACHE_DIR, `pglite-${hash.digest('hex').slice(0, 32)}.tar`)
}

async function buildImage(): Promise<Blob> {
  const pglite = await PGlite.create(PGLITE_OPTIONS)
  const db = wrapPGlite(pglite, { onError: () => undefined })
  try {
    await migrateToLatest(db.kysely)
    return await pglite.dumpDataDir('none')
  } finally {
    await db.close()
  }
}

/**
 * A dump of a freshly migrated PGlite, cached in memory and on disk (under this package's
 * `node_modules/.cache`): booting from it skips initdb and the migrations, which cuts a test
 * database's start from seconds to under one, in every test file after the first.
 */
function migratedPGliteImage(): Promise<Blob> {
  migratedPGlite ??= (async () => {
    const file = imageFile()
    const cached = await readFile(file).catch(() => undefined)
    if (cached) return new Blob([cached])
    const image = await buildImage()
    // Written aside and renamed, so a concurrent reader never sees half an image. A cache that
    // cannot be written only costs time.
    const temp = `${file}.${String(process.pid)}.${randomBytes(4).toString('hex')}`
    await mkdir(IMAGE_CACHE_DIR, { recursive: true })
      .then(async () => {
        await writeFile(temp, new Uint8Array(await image.arrayBuffer()))
        await rename(temp, file)
        // Images of older migrations or PGlite builds are tens of megabytes each: drop them.
        for (const entry of await readdir(IMAGE_CACHE_DIR)) {
          const path = join(IMAGE_CACHE_DIR, entry)
          if (/^pglite-[0-9a-f]{32}\.tar$/.test(entry) && path !== file)
            await rm(path, { force: true })
        }
      })
      .catch(() => rm(temp, { force: true }))
    return image
  })()
  migratedPGlite.catch(() => {
    migratedPGlite = undefined
  })
  return migratedPGlite
}

async function openMigratedPGlite(): Promise<PGlite> {
  try {
    return await PGlite.create({ ...PGLITE_OPTIONS, loadDataDir: await migratedPGliteImage() })
  } catch {
    // A damaged cached image: forget it and build a fresh one.
    await rm(imageFile(), { force: true })
    migratedPGlite = Promise.resolve(await buildImage())
    return PGlite.create({ ...PGLITE_OPTIONS, loadDataDir: await migratedPGlite })
  }
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
 * A fresh database, migrated unless `migrate: false`. PGlite: in memory. PostgreSQL: `CREATE DATABASE warden_test_<random>`
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
    const { onQuery } = options
    const onError = options.onError ?? (() => undefined)
    const db =
      options.migrate === false
        ? await createDatabase({ url: 'memory:', onError, onQuery })
        : wrapPGlite(await openMigratedPGlite(), { onError, onQuery })
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
      onQuery: options.onQuery,
    })
    if (options.migrate !== false) await migrateToLatest(db.kysely)
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
