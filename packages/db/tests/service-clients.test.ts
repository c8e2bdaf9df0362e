import { expect, it } from 'vitest'

import {
  createServiceClient,
  findServiceClient,
  listServiceClients,
  setServiceClientEnabled,
} from '../src/index.ts'
import { at, describeBackends, T0, useTestDatabase } from './helpers.ts'

const SECRET_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'

describeBackends('service clients', (backend) => {
  const getDb = useTestDatabase(backend)

  it('registers a client once per id', async () => {
    const db = getDb()
    const input = {
      id: 'reports',
      name: 'Reports',
      secretHash: SECRET_HASH,
      audiences: ['warden-api'],
      scopes: ['invoices:read', 'invoices:read'],
      now: T0,
    }
    const created = await createServiceClient(db.kysely, input)
    const client = {
      id: 'reports',
      name: 'Reports',
      secretHash: SECRET_HASH,
      audiences: ['warden-api'],
      scopes: ['invoices:read'],
      enabled: true,
      createdAt: T0,
      updatedAt: T0,
    }
    expect(created).toEqual({ ok: true, client })
    expect(await createServiceClient(db.kysely, { ...input, secretHash: 'other' })).toEqual({
      ok: false,
      reason: 'id_taken',
    })
    expect(await findServiceClient(db.kysely, 'reports')).toEqual(client)
    expect(await findServiceClient(db.kysely, 'unknown')).toBeUndefined()
    expect(await findServiceClient(db.kysely, "x' or '1'='1")).toBeUndefined()
  })

  it('refuses malformed ids, no audience and bad scope names', async () => {
    const db = getDb()
    const base = { secretHash: SECRET_HASH, audiences: ['api'], scopes: [], now: T0 }
    for (const input of [
      { ...base, id: '' },
      { ...base, id: 'has space' },
      { ...base, id: 'x'.repeat(129) },
      { ...base, id: 'ok', audiences: [] },
      { ...base, id: 'ok', scopes: ['a"b'] },
    ]) {
      await expect(createServiceClient(db.kysely, input)).rejects.toThrow(TypeError)
    }
    expect(await listServiceClients(db.kysely)).toEqual([])
  })

  it('disables and re-enables a client, and lists them by id', async () => {
    const db = getDb()
    for (const id of ['zeta', 'alpha']) {
      await createServiceClient(db.kysely, {
        id,
        secretHash: SECRET_HASH,
        audiences: ['api'],
        scopes: [],
        now: T0,
      })
    }
    expect(
      await setServiceClientEnabled(db.kysely, { id: 'zeta', enabled: false, now: at(1) }),
    ).toMatchObject({
      id: 'zeta',
      enabled: false,
      updatedAt: at(1),
    })
    expect((await findServiceClient(db.kysely, 'zeta'))?.enabled).toBe(false)
    expect(
      (await setServiceClientEnabled(db.kysely, { id: 'zeta', enabled: true, now: at(2) }))
        ?.enabled,
    ).toBe(true)
    expect(
      await setServiceClientEnabled(db.kysely, { id: 'nope', enabled: true, now: at(2) }),
    ).toBeUndefined()
    expect((await listServiceClients(db.kysely)).map((client) => client.id)).toEqual([
      'alpha',
      'zeta',
    ])
  })
})
