/** A database backend the suites run on. */
export type TestBackend = 'pglite' | 'postgres'

/** What a suite prints, once, when it cannot run its PostgreSQL pass. */
export const POSTGRES_SKIPPED = 'PostgreSQL pass skipped: DATABASE_URL is not set'

/**
 * The admin URL of the PostgreSQL server the tests use, if any. Tests are, with the server's
 * config, the only place that may read the environment.
 */
export function adminDatabaseUrl(): string | undefined {
  // eslint-disable-next-line no-restricted-properties -- test helpers pick their backend from the environment, like CI does
  const url = process.env['DATABASE_URL']
  return url === undefined || url === '' ? undefined : url
}

/** The backends to run database suites on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export function testBackends(): TestBackend[] {
  return adminDatabaseUrl() === undefined ? ['pglite'] : ['pglite', 'postgres']
}
