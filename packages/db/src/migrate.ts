import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResultSet } from 'kysely'

import { migrations, type MigrationName } from './migrations/index.ts'
import type { Database } from './schema.ts'

/** A migration failed; `migrationName` says which. The database error is the `cause`. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError'
  readonly migrationName: string | undefined

  constructor(migrationName: string | undefined, options: { cause: unknown }) {
    const detail = options.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(
      migrationName === undefined
        ? `Migrating failed${detail}`
        : `Migration ${migrationName} failed${detail}`,
      options,
    )
    this.migrationName = migrationName
  }
}

function createMigrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  })
}

function unwrap(resultSet: MigrationResultSet): string[] {
  const { error, results = [] } = resultSet
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')
    throw new MigrationError(failed?.migrationName, { cause: error })
  }
  return results.filter((result) => result.status === 'Success').map((r) => r.migrationName)
}

/**
 * Applies every pending migration, in one transaction under kysely's migration lock (so two
 * instances starting at once do not both migrate). Idempotent: `applied` is empty when the
 * database is already up to date.
 *
 * @throws MigrationError naming the failing migration; nothing of the run is applied then.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<{ applied: string[] }> {
  return { applied: unwrap(await createMigrator(db).migrateToLatest()) }
}

/**
 * Reverts migrations: by default the last one; `to: 'empty'` reverts them all; a migration
 * name reverts down to (and keeps) that migration.
 *
 * @throws MigrationError naming the failing migration.
 */
export async function migrateDown(
  db: Kysely<Database>,
  options: { to?: 'previous' | 'empty' | MigrationName } = {},
): Promise<{ reverted: string[] }> {
  const migrator = createMigrator(db)
  const target = options.to ?? 'previous'
  const resultSet =
    target === 'previous'
      ? await migrator.migrateDown()
      : await migrator.migrateTo(target === 'empty' ? NO_MIGRATIONS : target)
  return { reverted: unwrap(resultSet) }
}

/** The names of the migrations not yet applied, in the order they would run. */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const infos = await createMigrator(db).getMigrations()
  return infos.filter((info) => info.executedAt === undefined).map((info) => info.name)
}
