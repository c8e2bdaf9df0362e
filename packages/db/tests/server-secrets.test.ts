import { randomBytes } from 'node:crypto'

import { expect, it } from 'vitest'

import { getOrCreateServerSecret } from '../src/index.ts'
import { at, describeBackends, T0, useTestDatabase } from './helpers.ts'

describeBackends('server secrets', (backend) => {
  const getDb = useTestDatabase(backend, { poolMax: 8 })

  it('creates a secret once and returns it ever after', async () => {
    const db = getDb()
    let made = 0
    const create = () => {
      made += 1
      return new Uint8Array(randomBytes(32))
    }
    const first = await getOrCreateServerSecret(db.kysely, {
      name: 'refresh_successor_key',
      create,
      now: T0,
    })
    const again = await getOrCreateServerSecret(db.kysely, {
      name: 'refresh_successor_key',
      create,
      now: at(1),
    })
    expect(first).toBeInstanceOf(Uint8Array)
    expect(first.byteLength).toBe(32)
    expect(again).toEqual(first)
    expect(made).toBe(1)
  })

  it('gives every concurrent caller the same winner', async () => {
    const db = getDb()
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        getOrCreateServerSecret(db.kysely, {
          name: 'shared',
          create: () => new Uint8Array(randomBytes(32)),
          now: T0,
        }),
      ),
    )
    for (const result of results)
      expect(Buffer.from(result).equals(Buffer.from(results[0] ?? []))).toBe(true)
    const rows = await db.kysely.selectFrom('server_secret').select('name').execute()
    expect(rows).toEqual([{ name: 'shared' }])
  })

  it('refuses bad names and weak secrets', async () => {
    const db = getDb()
    const strong = () => new Uint8Array(32)
    for (const name of ['', 'Upper', 'has space', 'x'.repeat(65)]) {
      await expect(
        getOrCreateServerSecret(db.kysely, { name, create: strong, now: T0 }),
      ).rejects.toThrow(TypeError)
    }
    await expect(
      getOrCreateServerSecret(db.kysely, {
        name: 'short',
        create: () => new Uint8Array(8),
        now: T0,
      }),
    ).rejects.toThrow(TypeError)
  })
})
