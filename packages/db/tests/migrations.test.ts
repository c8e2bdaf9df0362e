import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'

import {
  migrateDown,
  migrateToLatest,
  MigrationError,
  migrations,
  pendingMigrations,
} from '../src/index.ts'
import { TABLE_NAMES } from '../src/schema.ts'
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts'
import { describeBackends, makeUser, newToken, T0, useTestDatabase } from './helpers.ts'

const ALL = Object.keys(migrations)

async function wardenTables(db: TestDatabase): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%'
    order by table_name`.execute(db.kysely)
  return rows.map((row) => row.name)
}

function sqlState(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined
}

describeBackends('migrations', (backend) => {
  it('names every migration YYYY_MM_DD_HHMM_<what>, in order', () => {
    for (const name of ALL) expect(name).toMatch(/^\d{4}_\d{2}_\d{2}_\d{4}_[a-z_]+$/)
    expect([...ALL].sort()).toEqual(ALL)
  })

  it('migrates up from an empty database, then does nothing on a re-run', async () => {
    await using db = await createTestDatabase(backend, { migrate: false })
    expect(await wardenTables(db)).toEqual([])
    expect(await pendingMigrations(db.kysely)).toEqual(ALL)

    expect(await migrateToLatest(db.kysely)).toEqual({ applied: ALL })
    expect(await wardenTables(db)).toEqual([...TABLE_NAMES].sort())
    expect(await pendingMigrations(db.kysely)).toEqual([])
    expect(await migrateToLatest(db.kysely)).toEqual({ applied: [] })
  })

  it('migrates down one step, down to empty, and back up', async () => {
    await using db = await createTestDatabase(backend)
    await makeUser(db)
    expect(await migrateDown(db.kysely)).toEqual({ reverted: [ALL.at(-1)] })
    expect(await wardenTables(db)).not.toContain('server_secret')
    expect(await pendingMigrations(db.kysely)).toEqual([ALL.at(-1)])

    expect(await migrateDown(db.kysely, { to: '2026_11_23_2010_service_clients' })).toEqual({
      reverted: ALL.slice(2).reverse().slice(1),
    })
    expect(await wardenTables(db)).toEqual(['service_client', 'tenant', 'user_account'])

    expect(await migrateDown(db.kysely, { to: 'empty' })).toEqual({
      reverted: ALL.slice(0, 2).reverse(),
    })
    expect(await wardenTables(db)).toEqual([])
    expect(await migrateToLatest(db.kysely)).toEqual({ applied: ALL })
  })

  it('names the failing migration and applies nothing of the failed run', async () => {
    await using db = await createTestDatabase(backend, { migrate: false })
    await sql`create table project (id int)`.execute(db.kysely)
    const failure = await migrateToLatest(db.kysely).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(failure).toBeInstanceOf(MigrationError)
    expect((failure as MigrationError).migrationName).toBe('2026_11_23_2100_projects_and_invoices')
    expect(sqlState((failure as MigrationError).cause)).toBe('42P07')
    expect(await wardenTables(db)).toEqual(['project'])
    expect(await pendingMigrations(db.kysely)).toEqual(ALL)

    await sql`drop table project`.execute(db.kysely)
    expect(await migrateToLatest(db.kysely)).toEqual({ applied: ALL })
  })

  describe('schema invariants', () => {
    const getDb = useTestDatabase(backend)

    async function violation(statement: ReturnType<typeof sql>): Promise<unknown> {
      return statement.execute(getDb().kysely).then(
        () => 'accepted',
        (err: unknown) => sqlState(err),
      )
    }

    it('stores only hex SHA-256 hashes of refresh tokens, never a token', async () => {
      const user = await makeUser(getDb())
      const { rows } = await sql<{ id: string }>`
        insert into refresh_family (user_id, audience, created_at, expires_at, last_used_at)
        values (${user.id}, 'api', ${T0}, ${new Date(T0.getTime() + 1000)}, ${T0}) returning id`.execute(
        getDb().kysely,
      )
      const familyId = rows[0]?.id
      const insertToken = (hash: string) => sql`
        insert into refresh_token (family_id, token_hash, issued_at, expires_at)
        values (${familyId}, ${hash}, ${T0}, ${new Date(T0.getTime() + 1000)})`
      const { token, hash } = newToken()
      expect(await violation(insertToken(token))).toBe('23514')
      expect(await violation(insertToken(hash.toUpperCase()))).toBe('23514')
      expect(await violation(insertToken(hash))).toBe('accepted')
      expect(await violation(insertToken(hash))).toBe('23505')
    })

    it('gives a refresh family exactly one subject', async () => {
      const user = await makeUser(getDb())
      await sql`insert into service_client (id, secret_hash, audiences) values ('svc', 'h', '{api}')`.execute(
        getDb().kysely,
      )
      const insertFamily = (userId: string | null, clientId: string | null) => sql`
        insert into refresh_family (user_id, client_id, audience, created_at, expires_at, last_used_at)
        values (${userId}, ${clientId}, 'api', ${T0}, ${new Date(T0.getTime() + 1000)}, ${T0})`
      expect(await violation(insertFamily(user.id, 'svc'))).toBe('23514')
      expect(await violation(insertFamily(null, null))).toBe('23514')
      expect(await violation(insertFamily(null, 'svc'))).toBe('accepted')
    })

    it('refuses a non-positive invoice, an unknown status and an unknown audit event type', async () => {
      const user = await makeUser(getDb())
      const insertInvoice = (amount: number, status: string) => sql`
        insert into invoice (tenant_id, amount_cents, description, status, created_by)
        values (${user.tenantId}, ${amount}, 'x', ${status}, ${user.id})`
      expect(await violation(insertInvoice(0, 'pending'))).toBe('23514')
      expect(await violation(insertInvoice(-5, 'pending'))).toBe('23514')
      expect(await violation(insertInvoice(5, 'paid'))).toBe('23514')
      expect(await violation(insertInvoice(5, 'approved'))).toBe('23514')
      expect(await violation(insertInvoice(5, 'pending'))).toBe('accepted')
      expect(
        await violation(sql`insert into audit_event (type, at) values ('token_dumped', ${T0})`),
      ).toBe('23514')
      expect(
        await violation(sql`insert into login_lockout (scope, key, until, reason, created_at)
          values ('everyone', 'k', ${T0}, 'r', ${T0})`),
      ).toBe('23514')
    })

    it('keeps emails unique whatever their case', async () => {
      const user = await makeUser(getDb(), { email: 'Case@Example.test' })
      expect(
        await violation(sql`insert into user_account (tenant_id, email, password_hash)
          values (${user.tenantId}, 'case@EXAMPLE.TEST', 'h')`),
      ).toBe('23505')
    })
  })
})
