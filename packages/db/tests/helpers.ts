import { createHash, randomBytes } from 'node:crypto'

import { afterAll, beforeAll, beforeEach, describe } from 'vitest'

import { registerUser, type User } from '../src/index.ts'
import {
  createTestDatabase,
  POSTGRES_SKIPPED,
  testBackends,
  truncateAll,
  type TestBackend,
  type TestDatabase,
  type TestDatabaseOptions,
} from '../src/testing/index.ts'

/** A fixed instant the tests count from; no test reads the real clock for stored times. */
export const T0 = new Date('2026-03-01T12:00:00.000Z')

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

export function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs)
}

/** A fresh opaque refresh token and its hex SHA-256, as the auth package makes them. */
export function newToken(): { token: string; hash: string } {
  const token = `wrt_${randomBytes(32).toString('base64url')}`
  return { token, hash: sha256(token) }
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

/**
 * Runs `fn` once per backend of `testBackends()`; without DATABASE_URL the PostgreSQL pass is
 * registered as skipped under a name that says why, so the report shows it.
 */
export function describeBackends(name: string, fn: (backend: TestBackend) => void): void {
  describe.each(testBackends())(`${name} [%s]`, fn)
  if (!testBackends().includes('postgres')) {
    describe.skip(`${name} [postgres] — ${POSTGRES_SKIPPED}`, () => {
      fn('postgres')
    })
  }
}

/** One migrated database per suite, emptied before each test. */
export function useTestDatabase(
  backend: TestBackend,
  options: TestDatabaseOptions = {},
): () => TestDatabase {
  let db: TestDatabase | undefined
  beforeAll(async () => {
    db = await createTestDatabase(backend, options)
  })
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]()
  })
  beforeEach(async () => {
    if (db) await truncateAll(db)
  })
  return () => {
    if (!db) throw new Error('The test database is not ready')
    return db
  }
}

let userCounter = 0

/** Registers a user in a new tenant. */
export async function makeUser(
  db: TestDatabase,
  overrides: { email?: string; roles?: string[]; now?: Date } = {},
): Promise<User> {
  userCounter += 1
  const result = await registerUser(db.kysely, {
    email: overrides.email ?? `user${userCounter}@example.test`,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    tenantName: `Tenant ${userCounter}`,
    roles: overrides.roles,
    now: overrides.now ?? T0,
  })
  if (!result.ok) throw new Error(`makeUser: ${result.reason}`)
  return result.user
}
