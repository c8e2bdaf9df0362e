import { describe, expect, it } from 'vitest'

import {
  createUser,
  findUserByEmail,
  findUserById,
  listTokenCutoffs,
  listUsers,
  registerUser,
  setPasswordHash,
  setTokensValidAfter,
  setUserRoles,
} from '../src/index.ts'
import type { TestDatabase } from '../src/testing/index.ts'
import { at, describeBackends, makeUser, SECOND, T0, useTestDatabase } from './helpers.ts'

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'

async function count(db: TestDatabase, table: 'tenant' | 'user_account') {
  const rows = await db.kysely.selectFrom(table).select('id').execute()
  return rows.length
}

function register(db: TestDatabase, email: string, overrides: { now?: Date } = {}) {
  return registerUser(db.kysely, {
    email,
    name: 'Ada',
    passwordHash: HASH,
    tenantName: 'Acme',
    now: overrides.now ?? T0,
  })
}

describeBackends('users', (backend) => {
  const getDb = useTestDatabase(backend, { poolMax: 12 })

  describe('registerUser', () => {
    it('creates a tenant and its first user, a member by default', async () => {
      const db = getDb()
      const result = await register(db, 'Ada@Example.test')
      expect(result.ok).toBe(true)
      if (!result.ok) return
      expect(result.user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: 'Ada@Example.test',
        name: 'Ada',
        passwordHash: HASH,
        roles: ['member'],
        tokensValidAfter: null,
        disabledAt: null,
        createdAt: T0,
        updatedAt: T0,
      })
      const tenant = await db.kysely
        .selectFrom('tenant')
        .selectAll()
        .where('id', '=', result.user.tenantId)
        .executeTakeFirstOrThrow()
      expect(tenant).toEqual({ id: result.user.tenantId, name: 'Acme', created_at: T0 })
    })

    it('refuses an email taken in another case and leaves nothing behind', async () => {
      const db = getDb()
      expect((await register(db, 'A@x.io')).ok).toBe(true)
      expect(await register(db, 'a@X.IO')).toEqual({ ok: false, reason: 'email_taken' })
      expect(await count(db, 'tenant')).toBe(1)
      expect(await count(db, 'user_account')).toBe(1)
    })

    it('lets exactly one of many concurrent sign-ups for one address win', async () => {
      const db = getDb()
      const emails = ['race@x.io', 'RACE@x.io', 'Race@X.io', 'race@X.IO', 'rAcE@x.Io']
      const results = await Promise.all([...emails, ...emails].map((email) => register(db, email)))
      expect(results.filter((result) => result.ok)).toHaveLength(1)
      expect(results.filter((result) => !result.ok)).toHaveLength(9)
      expect(await count(db, 'tenant')).toBe(1)
      expect(await count(db, 'user_account')).toBe(1)
    })

    it('rolls the tenant back when the user cannot be stored', async () => {
      const db = getDb()
      await expect(register(db, 'not-an-email')).rejects.toMatchObject({ code: '23514' })
      expect(await count(db, 'tenant')).toBe(0)
    })

    it('joins a caller’s transaction, which stays usable after email_taken', async () => {
      const db = getDb()
      await db.kysely.transaction().execute(async (trx) => {
        const first = await registerUser(trx, {
          email: 'tx@x.io',
          passwordHash: HASH,
          tenantName: 'T',
          now: T0,
        })
        expect(first.ok).toBe(true)
        expect(
          await registerUser(trx, {
            email: 'TX@x.io',
            passwordHash: HASH,
            tenantName: 'T',
            now: T0,
          }),
        ).toEqual({ ok: false, reason: 'email_taken' })
        const other = await registerUser(trx, {
          email: 'other@x.io',
          passwordHash: HASH,
          tenantName: 'T',
          now: T0,
        })
        expect(other.ok).toBe(true)
      })
      expect(await count(db, 'tenant')).toBe(2)
      expect(await count(db, 'user_account')).toBe(2)

      const rollback = new Error('rollback')
      await expect(
        db.kysely.transaction().execute(async (trx) => {
          await registerUser(trx, {
            email: 'gone@x.io',
            passwordHash: HASH,
            tenantName: 'T',
            now: T0,
          })
          throw rollback
        }),
      ).rejects.toBe(rollback)
      expect(await findUserByEmail(db.kysely, 'gone@x.io')).toBeUndefined()
      expect(await count(db, 'tenant')).toBe(2)
    })

    it('takes custom roles, without duplicates, and rejects malformed ones', async () => {
      const db = getDb()
      const result = await registerUser(db.kysely, {
        email: 'admin@x.io',
        passwordHash: HASH,
        tenantName: 'T',
        roles: ['admin', 'member', 'admin'],
        now: T0,
      })
      expect(result.ok && result.user.roles).toEqual(['admin', 'member'])
      for (const roles of [['with space'], [''], Array.from({ length: 33 }, (_, i) => `r${i}`)]) {
        await expect(
          registerUser(db.kysely, {
            email: 'bad@x.io',
            passwordHash: HASH,
            tenantName: 'T',
            roles,
            now: T0,
          }),
        ).rejects.toThrow(TypeError)
      }
    })
  })

  describe('createUser', () => {
    it('adds a user to an existing tenant, refusing a taken email', async () => {
      const db = getDb()
      const owner = await makeUser(db, { email: 'owner@x.io' })
      const result = await createUser(db.kysely, {
        email: 'colleague@x.io',
        passwordHash: HASH,
        tenantId: owner.tenantId,
        roles: ['manager'],
        now: at(SECOND),
      })
      expect(result.ok && result.user).toMatchObject({
        tenantId: owner.tenantId,
        roles: ['manager'],
        name: null,
        createdAt: at(SECOND),
      })
      expect(
        await createUser(db.kysely, {
          email: 'OWNER@x.io',
          passwordHash: HASH,
          tenantId: owner.tenantId,
          roles: [],
          now: T0,
        }),
      ).toEqual({ ok: false, reason: 'email_taken' })
      await expect(
        createUser(db.kysely, {
          email: 'z@x.io',
          passwordHash: HASH,
          tenantId: 'nope',
          roles: [],
          now: T0,
        }),
      ).rejects.toThrow(TypeError)
    })
  })

  describe('finding and listing', () => {
    it('finds a user by email in any case, and by id', async () => {
      const db = getDb()
      const user = await makeUser(db, { email: 'Grace@Example.test' })
      expect(await findUserByEmail(db.kysely, 'grace@example.TEST')).toEqual(user)
      expect(await findUserByEmail(db.kysely, 'nobody@example.test')).toBeUndefined()
      expect(await findUserById(db.kysely, user.id)).toEqual(user)
      expect(await findUserById(db.kysely, '00000000-0000-4000-8000-000000000000')).toBeUndefined()
      expect(await findUserById(db.kysely, 'not-a-uuid')).toBeUndefined()
      expect(await findUserById(db.kysely, "' or 1=1 --")).toBeUndefined()
    })

    it('lists all users or one tenant’s, oldest first', async () => {
      const db = getDb()
      const first = await makeUser(db, { now: at(1) })
      const second = await makeUser(db, { now: at(2) })
      const colleague = await createUser(db.kysely, {
        email: 'colleague@x.io',
        passwordHash: HASH,
        tenantId: first.tenantId,
        roles: [],
        now: at(3),
      })
      if (!colleague.ok) throw new Error('colleague')
      expect((await listUsers(db.kysely)).map((user) => user.id)).toEqual([
        first.id,
        second.id,
        colleague.user.id,
      ])
      expect(
        (await listUsers(db.kysely, { tenantId: first.tenantId })).map((user) => user.id),
      ).toEqual([first.id, colleague.user.id])
      expect(await listUsers(db.kysely, { tenantId: 'bogus' })).toEqual([])
    })
  })

  describe('updates', () => {
    it('replaces roles and bumps updatedAt', async () => {
      const db = getDb()
      const user = await makeUser(db)
      const updated = await setUserRoles(db.kysely, {
        userId: user.id,
        roles: ['admin', 'admin', 'manager'],
        now: at(SECOND),
      })
      expect(updated).toEqual({ ...user, roles: ['admin', 'manager'], updatedAt: at(SECOND) })
      expect(
        await setUserRoles(db.kysely, { userId: 'x', roles: ['admin'], now: at(SECOND) }),
      ).toBeUndefined()
      await expect(
        setUserRoles(db.kysely, { userId: user.id, roles: ['a b'], now: at(SECOND) }),
      ).rejects.toThrow(TypeError)
    })

    it('replaces the password hash', async () => {
      const db = getDb()
      const user = await makeUser(db)
      expect(
        await setPasswordHash(db.kysely, { userId: user.id, passwordHash: 'new', now: at(1) }),
      ).toBe(true)
      expect(await findUserById(db.kysely, user.id)).toMatchObject({
        passwordHash: 'new',
        updatedAt: at(1),
      })
      expect(
        await setPasswordHash(db.kysely, {
          userId: '00000000-0000-4000-8000-000000000000',
          passwordHash: 'new',
          now: at(1),
        }),
      ).toBe(false)
    })

    it('moves the token cut-off forward only, and lists recent cut-offs', async () => {
      const db = getDb()
      const user = await makeUser(db)
      const other = await makeUser(db)
      expect(await setTokensValidAfter(db.kysely, { userId: user.id, at: at(10 * SECOND) })).toBe(
        true,
      )
      expect(await setTokensValidAfter(db.kysely, { userId: user.id, at: at(5 * SECOND) })).toBe(
        true,
      )
      expect((await findUserById(db.kysely, user.id))?.tokensValidAfter).toEqual(at(10 * SECOND))
      await setTokensValidAfter(db.kysely, { userId: other.id, at: at(2 * SECOND) })
      expect(await setTokensValidAfter(db.kysely, { userId: 'x', at: at(1) })).toBe(false)

      expect(await listTokenCutoffs(db.kysely, { since: at(2 * SECOND) })).toEqual(
        expect.arrayContaining([
          { userId: user.id, tokensValidAfter: at(10 * SECOND) },
          { userId: other.id, tokensValidAfter: at(2 * SECOND) },
        ]),
      )
      expect(await listTokenCutoffs(db.kysely, { since: at(2 * SECOND + 1) })).toEqual([
        { userId: user.id, tokensValidAfter: at(10 * SECOND) },
      ])
    })
  })
})
