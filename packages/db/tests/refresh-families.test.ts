import { expect, it } from 'vitest'

import {
  createRefreshFamily,
  findFamilyByTokenHash,
  listActiveFamilies,
  revokeAllFamilies,
  revokeFamily,
  rotateRefreshToken,
} from '../src/index.ts'
import type { TestDatabase } from '../src/testing/index.ts'
import {
  at,
  DAY,
  describeBackends,
  HOUR,
  makeUser,
  newToken,
  T0,
  useTestDatabase,
} from './helpers.ts'

async function start(
  db: TestDatabase,
  userId: string,
  options: { now?: Date; ttlMs?: number; maxAgeMs?: number; userAgent?: string } = {},
) {
  const token = newToken()
  const created = await createRefreshFamily(db.kysely, {
    subject: { userId },
    audience: 'warden-api',
    tokenHash: token.hash,
    now: options.now ?? T0,
    ttlMs: options.ttlMs ?? HOUR,
    maxAgeMs: options.maxAgeMs ?? DAY,
    userAgent: options.userAgent ?? 'agent',
    ip: '198.51.100.7',
  })
  return { ...created, token }
}

describeBackends('refresh families', (backend) => {
  const getDb = useTestDatabase(backend)

  it('creates a family and its first token in one go', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const { familyId, tokenExpiresAt, familyExpiresAt, token } = await start(db, user.id)
    expect(tokenExpiresAt).toEqual(at(HOUR))
    expect(familyExpiresAt).toEqual(at(DAY))
    const family = await db.kysely
      .selectFrom('refresh_family')
      .selectAll()
      .where('id', '=', familyId)
      .executeTakeFirstOrThrow()
    expect(family).toMatchObject({
      user_id: user.id,
      client_id: null,
      audience: 'warden-api',
      scope: null,
      created_at: T0,
      expires_at: at(DAY),
      last_used_at: T0,
      revoked_at: null,
      user_agent: 'agent',
      ip: '198.51.100.7',
    })
    const tokens = await db.kysely
      .selectFrom('refresh_token')
      .selectAll()
      .where('family_id', '=', familyId)
      .execute()
    expect(tokens).toEqual([
      expect.objectContaining({
        token_hash: token.hash,
        parent_id: null,
        issued_at: T0,
        expires_at: at(HOUR),
        used_at: null,
      }),
    ])
  })

  it('caps the first token by the family lifetime and cleans client-supplied text', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const { tokenExpiresAt, familyId } = await start(db, user.id, {
      ttlMs: 2 * HOUR,
      maxAgeMs: HOUR,
      userAgent: `evil\u0000${'x'.repeat(2000)}`,
    })
    expect(tokenExpiresAt).toEqual(at(HOUR))
    const family = await db.kysely
      .selectFrom('refresh_family')
      .select('user_agent')
      .where('id', '=', familyId)
      .executeTakeFirstOrThrow()
    expect(family.user_agent).toHaveLength(512)
    expect(family.user_agent?.startsWith('evilxxx')).toBe(true)
  })

  it('refuses to store anything but a hash, and nonsensical lifetimes', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const base = {
      subject: { userId: user.id },
      audience: 'warden-api',
      now: T0,
      ttlMs: HOUR,
      maxAgeMs: DAY,
    }
    await expect(
      createRefreshFamily(db.kysely, { ...base, tokenHash: newToken().token }),
    ).rejects.toThrow(TypeError)
    await expect(
      createRefreshFamily(db.kysely, { ...base, tokenHash: newToken().hash, ttlMs: 0 }),
    ).rejects.toThrow(TypeError)
    await expect(
      createRefreshFamily(db.kysely, {
        ...base,
        tokenHash: newToken().hash,
        subject: { userId: 'x' },
      }),
    ).rejects.toThrow(TypeError)
    const families = await db.kysely.selectFrom('refresh_family').select('id').execute()
    expect(families).toEqual([])
  })

  it('lists a user’s live sessions only, most recently used first', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const other = await makeUser(db)
    const older = await start(db, user.id, { now: at(-2 * HOUR), ttlMs: 3 * HOUR })
    const recent = await start(db, user.id, { now: at(-HOUR), ttlMs: 2 * HOUR })
    const revoked = await start(db, user.id)
    const idle = await start(db, user.id, { now: at(-2 * HOUR), ttlMs: HOUR })
    const ended = await start(db, user.id, { now: at(-DAY), maxAgeMs: DAY, ttlMs: DAY })
    await start(db, other.id)
    await revokeFamily(db.kysely, { familyId: revoked.familyId, reason: 'logout', now: T0 })

    const sessions = await listActiveFamilies(db.kysely, { userId: user.id, now: T0 })
    expect(sessions).toEqual([
      {
        id: recent.familyId,
        createdAt: at(-HOUR),
        lastUsedAt: at(-HOUR),
        userAgent: 'agent',
        ip: '198.51.100.7',
      },
      {
        id: older.familyId,
        createdAt: at(-2 * HOUR),
        lastUsedAt: at(-2 * HOUR),
        userAgent: 'agent',
        ip: '198.51.100.7',
      },
    ])
    expect(sessions.map((session) => session.id)).not.toContain(idle.familyId)
    expect(sessions.map((session) => session.id)).not.toContain(ended.familyId)

    // A rotation keeps the session listed and moves it to the front.
    const next = newToken()
    await rotateRefreshToken(db.kysely, {
      presentedHash: older.token.hash,
      successorHash: next.hash,
      now: T0,
      ttlMs: HOUR,
      reuseIntervalMs: 0,
    })
    const after = await listActiveFamilies(db.kysely, { userId: user.id, now: at(1) })
    expect(after.map((session) => session.id)).toEqual([older.familyId, recent.familyId])
    expect(await listActiveFamilies(db.kysely, { userId: 'junk', now: T0 })).toEqual([])
  })

  it('revokes one family and its tokens, once, and only for its owner when asked', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const intruder = await makeUser(db)
    const { familyId } = await start(db, user.id)

    expect(
      await revokeFamily(db.kysely, {
        familyId,
        reason: 'revoked_by_user',
        now: at(1),
        userId: intruder.id,
      }),
    ).toBe(false)
    expect(
      await revokeFamily(db.kysely, {
        familyId,
        reason: 'revoked_by_user',
        now: at(1),
        userId: user.id,
      }),
    ).toBe(true)
    expect(await revokeFamily(db.kysely, { familyId, reason: 'again', now: at(2) })).toBe(false)
    expect(await revokeFamily(db.kysely, { familyId: 'not-a-uuid', reason: 'x', now: at(2) })).toBe(
      false,
    )

    const family = await db.kysely
      .selectFrom('refresh_family')
      .select(['revoked_at', 'revoke_reason'])
      .where('id', '=', familyId)
      .executeTakeFirstOrThrow()
    expect(family).toEqual({ revoked_at: at(1), revoke_reason: 'revoked_by_user' })
    const tokens = await db.kysely
      .selectFrom('refresh_token')
      .select(['revoked_at', 'revoke_reason'])
      .where('family_id', '=', familyId)
      .execute()
    expect(tokens).toEqual([{ revoked_at: at(1), revoke_reason: 'revoked_by_user' }])
  })

  it('revokes every live family of a user and no one else’s', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const other = await makeUser(db)
    await start(db, user.id)
    await start(db, user.id)
    const already = await start(db, user.id)
    const theirs = await start(db, other.id)
    await revokeFamily(db.kysely, { familyId: already.familyId, reason: 'logout', now: T0 })

    expect(
      await revokeAllFamilies(db.kysely, { userId: user.id, reason: 'logout_all', now: at(1) }),
    ).toBe(2)
    expect(await listActiveFamilies(db.kysely, { userId: user.id, now: at(2) })).toEqual([])
    expect(
      (await listActiveFamilies(db.kysely, { userId: other.id, now: at(2) })).map((f) => f.id),
    ).toEqual([theirs.familyId])
    expect(
      await revokeAllFamilies(db.kysely, { userId: user.id, reason: 'logout_all', now: at(3) }),
    ).toBe(0)
    expect(
      await revokeAllFamilies(db.kysely, { userId: 'junk', reason: 'logout_all', now: at(3) }),
    ).toBe(0)
  })

  it('finds the family of any of its tokens', async () => {
    const db = getDb()
    const user = await makeUser(db)
    const { familyId, token } = await start(db, user.id)
    const next = newToken()
    await rotateRefreshToken(db.kysely, {
      presentedHash: token.hash,
      successorHash: next.hash,
      now: at(1),
      ttlMs: HOUR,
      reuseIntervalMs: 0,
    })
    const expected = { familyId, userId: user.id, clientId: null, revokedAt: null }
    expect(await findFamilyByTokenHash(db.kysely, token.hash)).toEqual(expected)
    expect(await findFamilyByTokenHash(db.kysely, next.hash)).toEqual(expected)
    expect(await findFamilyByTokenHash(db.kysely, newToken().hash)).toBeUndefined()
    expect(await findFamilyByTokenHash(db.kysely, next.token)).toBeUndefined()
  })
})
