import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely'
import { describe, expect, it } from 'vitest'

import { compileOnce, compileOncePerHandle } from './compile-once.ts'

interface Db {
  token: { id: string; hash: string; used_at: Date | null; expires_at: Date; enabled: boolean }
}

// Compiles only; nothing is executed.
const compileOnly = () =>
  new Kysely<Db>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  })
const db = compileOnly()

interface Params {
  hash: string
  now: Date
  note: string | null
}

const build = (values: Params) =>
  db
    .updateTable('token')
    .set({ used_at: values.now })
    .where('hash', '=', values.hash)
    .where('expires_at', '>', values.now)
    .where('enabled', '=', true)
    .where(sql<boolean>`coalesce(${values.note}::text, '') <> 'x'`)
    .returning('id')

describe('compileOnce', () => {
  it('answers what building and compiling the query for these values would, every call', () => {
    let builds = 0
    const statement = compileOnce<Params, unknown>(
      { hash: 'text', now: 'date', note: 'text' },
      (values) => {
        builds++
        return build(values)
      },
    )
    for (const values of [
      { hash: 'a'.repeat(64), now: new Date('2026-11-24T10:00:00Z'), note: 'kept' },
      { hash: 'b'.repeat(64), now: new Date('2026-11-25T11:00:00Z'), note: null },
    ]) {
      const fresh = build(values).compile()
      const once = statement(values)
      expect(once.sql).toBe(fresh.sql)
      expect(once.parameters).toEqual(fresh.parameters)
      // The same Date object where the query takes it, not a copy.
      expect(once.parameters.filter((p) => p === values.now)).toHaveLength(2)
    }
    expect(builds).toBe(1)
  })

  it('refuses a query that leaves a parameter out', () => {
    const statement = compileOnce<Params, unknown>(
      { hash: 'text', now: 'date', note: 'text' },
      (values) => db.selectFrom('token').select('id').where('hash', '=', values.hash),
    )
    expect(() => statement({ hash: 'a', now: new Date(), note: null })).toThrow(
      /parameters not in the query: now, note/,
    )
  })

  it('refuses a parameter changed on its way into the query', () => {
    const statement = compileOnce<Pick<Params, 'hash'>, unknown>({ hash: 'text' }, (values) =>
      db.selectFrom('token').select('id').where('hash', '=', values.hash.toUpperCase()),
    )
    expect(() => statement({ hash: 'a' })).toThrow(
      /changed before it reached the query|not in the query/,
    )
  })

  it('refuses a parameter written into the query text instead of passed', () => {
    const statement = compileOnce<Pick<Params, 'hash'>, unknown>({ hash: 'text' }, (values) =>
      db
        .selectFrom('token')
        .select('id')
        .where('hash', '=', values.hash)
        .where(sql<boolean>`note = '${sql.raw(values.hash)}'`),
    )
    expect(() => statement({ hash: 'a' })).toThrow(/written into the query text/)
  })

  it('refuses an object that is not one of the markers', () => {
    const statement = compileOnce<Pick<Params, 'hash'>, unknown>({ hash: 'text' }, (values) =>
      db
        .selectFrom('token')
        .select('id')
        .where('hash', '=', values.hash)
        .where('expires_at', '>', new Date(0)),
    )
    expect(() => statement({ hash: 'a' })).toThrow(/neither a marker nor a constant primitive/)
  })
})

describe('compileOncePerHandle', () => {
  it('builds once per database handle, from that handle', () => {
    const handles: Kysely<Db>[] = []
    const statement = compileOncePerHandle<Db, Pick<Params, 'hash'>, unknown>(
      { hash: 'text' },
      (handle, values) => {
        handles.push(handle)
        return handle.selectFrom('token').select('id').where('hash', '=', values.hash)
      },
    )
    const other = compileOnly()
    expect(statement(db, { hash: 'a' }).parameters).toEqual(['a'])
    expect(statement(db, { hash: 'b' }).parameters).toEqual(['b'])
    expect(statement(other, { hash: 'c' }).parameters).toEqual(['c'])
    expect(statement(other, { hash: 'd' }).sql).toBe(statement(db, { hash: 'd' }).sql)
    expect(handles).toHaveLength(2)
    expect(handles[0]).toBe(db)
    expect(handles[1]).toBe(other)
  })
})
