import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { CompiledQuery, sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'

import {
  createDatabase,
  DatabaseInUseError,
  isDatabaseUnavailable,
  migrateToLatest,
} from '../src/index.ts'
import { createTestDatabase } from '../src/testing/index.ts'
import { describeBackends, makeUser, T0 } from './helpers.ts'

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (err: unknown) => err,
  )
}

describe('createDatabase', () => {
  const folders: string[] = []
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true })
  })

  it('refuses unsupported schemes without echoing the URL', async () => {
    const err = await failure(createDatabase({ url: 'mysql://root:hunter2@db.example/warden' }))
    expect(err).toBeInstanceOf(TypeError)
    expect(String(err)).not.toContain('hunter2')
    expect(await failure(createDatabase({ url: 'not a url' }))).toBeInstanceOf(TypeError)
    expect(await failure(createDatabase({ url: '' }))).toBeInstanceOf(TypeError)
  })

  it('needs a data folder for the embedded database, and sane numbers', async () => {
    expect(await failure(createDatabase({}))).toBeInstanceOf(TypeError)
    expect(await failure(createDatabase({ url: undefined, dataDir: '' }))).toBeInstanceOf(TypeError)
    expect(await failure(createDatabase({ url: 'memory:', poolMax: 0 }))).toBeInstanceOf(TypeError)
    expect(
      await failure(createDatabase({ url: 'memory:', statementTimeoutMs: 1.5 })),
    ).toBeInstanceOf(TypeError)
  })

  it('keeps an embedded database in its folder across restarts', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'warden-db-'))
    folders.push(parent)
    const dataDir = join(parent, 'nested', 'data')
    const first = await createDatabase({ dataDir })
    expect(first.kind).toBe('pglite')
    await migrateToLatest(first.kysely)
    await sql`insert into tenant (name, created_at) values ('kept', ${T0})`.execute(first.kysely)
    await first.close()
    await first.close()

    const second = await createDatabase({ dataDir })
    try {
      const refused = await failure(createDatabase({ dataDir }))
      expect(refused).toBeInstanceOf(DatabaseInUseError)
      expect(refused).toMatchObject({ code: 'database_in_use', pid: process.pid })
      const rows = await second.kysely.selectFrom('tenant').select('name').execute()
      expect(rows).toEqual([{ name: 'kept' }])
      expect(await migrateToLatest(second.kysely)).toEqual({ applied: [] })
    } finally {
      await second.close()
    }
  })

  it('takes over the lock a dead process left behind', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warden-db-'))
    folders.push(dataDir)
    // No process can have this pid (it is above every kernel's pid_max).
    await writeFile(join(dataDir, 'warden.lock'), '2147483647')
    const db = await createDatabase({ dataDir })
    expect(await readFile(join(dataDir, 'warden.lock'), 'utf8')).toBe(String(process.pid))
    await db.close()
    await expect(readFile(join(dataDir, 'warden.lock'), 'utf8')).rejects.toMatchObject({
      code: 'ENOENT',
    })
  })

  it('reports a refused connection as the database being unavailable', async () => {
    const db = await createDatabase({
      url: 'postgres://postgres@127.0.0.1:1/warden',
      connectionTimeoutMs: 2000,
    })
    try {
      expect(db.kind).toBe('postgres')
      const err = await failure(db.ping())
      expect(isDatabaseUnavailable(err)).toBe(true)
    } finally {
      await db.close()
    }
  })
})

describeBackends('database', (backend) => {
  it('answers ping, and closes idempotently', async () => {
    const db = await createTestDatabase(backend)
    expect(db.kind).toBe(backend)
    await db.ping()
    await db.close()
    await db.close()
    await db[Symbol.asyncDispose]()
  })

  it.each([true, false])(
    'gives onQuery the text of each statement answered, failed ones too, never its parameters (migrated: %s)',
    async (migrate) => {
      const statements: string[] = []
      await using db = await createTestDatabase(backend, {
        migrate,
        onQuery: (text) => statements.push(text),
      })
      statements.length = 0
      await sql`select ${'secret@example.test'}::text as email`.execute(db.kysely)
      await expect(sql`select * from no_such_table`.execute(db.kysely)).rejects.toThrow()
      await db.kysely.executeQuery(CompiledQuery.raw('select $1::text as x', ['secret value']))
      expect(statements).toEqual([
        'select $1::text as email',
        'select * from no_such_table',
        'select $1::text as x',
      ])
    },
  )

  it.each([true, false])(
    'hands what onQuery throws to onError: each statement keeps its own answer (migrated: %s)',
    async (migrate) => {
      const errors: unknown[] = []
      let failing = false
      await using db = await createTestDatabase(backend, {
        migrate,
        onQuery: (text) => {
          if (failing) throw new Error(`tracer broke on ${text}`)
        },
        onError: (err) => errors.push(err),
      })
      failing = true
      const { rows } = await sql<{ x: number }>`select 1 as x`.execute(db.kysely)
      expect(rows).toEqual([{ x: 1 }])
      await expect(sql`select * from no_such_table`.execute(db.kysely)).rejects.toThrow(
        /no_such_table/,
      )
      expect(errors.map((err) => (err as Error).message)).toEqual([
        'tracer broke on select 1 as x',
        'tracer broke on select * from no_such_table',
      ])
    },
  )

  it('runs a kysely transaction exclusively', async () => {
    await using db = await createTestDatabase(backend)
    let inserted: () => void = () => undefined
    const insertedSignal = new Promise<void>((resolve) => {
      inserted = resolve
    })
    let finish: () => void = () => undefined
    const finishSignal = new Promise<void>((resolve) => {
      finish = resolve
    })
    const rollback = new Error('rollback')
    const transaction = db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('tenant').values({ name: 'uncommitted', created_at: T0 }).execute()
      inserted()
      await finishSignal
      throw rollback
    })
    await insertedSignal
    // On PGlite this query waits for the connection; had it run inside the open transaction it
    // would see the uncommitted row. On PostgreSQL it runs on another connection.
    const outside = db.kysely.selectFrom('tenant').select('name').execute()
    finish()
    await expect(transaction).rejects.toBe(rollback)
    expect(await outside).toEqual([])
  })

  // kysely streams from PostgreSQL only through pg-cursor, which Warden does not need; the
  // PGlite dialect implements streamQuery itself.
  it.runIf(backend === 'pglite')('streams a query in chunks', async () => {
    await using db = await createTestDatabase(backend)
    for (let i = 0; i < 5; i += 1) await makeUser(db)
    const chunks: number[] = []
    let total = 0
    for await (const row of db.kysely.selectFrom('tenant').select('id').stream(2)) {
      total += 1
      chunks.push(row.id.length)
    }
    expect(total).toBe(5)
    expect(chunks.every((length) => length === 36)).toBe(true)
  })

  if (backend === 'postgres') {
    it('fails a statement slower than the statement timeout, as unavailability', async () => {
      await using testDb = await createTestDatabase('postgres')
      const db = await createDatabase({ url: testDb.url, statementTimeoutMs: 50 })
      try {
        const err = await failure(sql`select pg_sleep(5)`.execute(db.kysely))
        expect(err).toMatchObject({ code: '57014' })
        expect(isDatabaseUnavailable(err)).toBe(true)
        await db.ping()
      } finally {
        await db.close()
      }
    })
  }
})
