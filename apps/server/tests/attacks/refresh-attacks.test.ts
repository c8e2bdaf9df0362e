/*
 * Attacks on sessions: refresh-token theft and replay, cross-user session control, token kinds
 * swapped, and tokens of users whose sessions were revoked. Over HTTP, in process, with ES256
 * and with HS256. Row-level invariants of every family are checked after each case.
 *
 * | case                                                                 | status | code / answer                       |
 * |----------------------------------------------------------------------|--------|-------------------------------------|
 * | rotated token presented again (interval 0)                           | 401    | refresh_reused; family revoked      |
 * | … then the legitimate successor                                      | 401    | refresh_revoked                     |
 * | rotated token presented again after the interval (10 s)              | 401    | refresh_reused; family revoked      |
 * | 50 concurrent refreshes of one token, interval 0                     | 200×1  | 49× 401 refresh_reused              |
 * | 50 concurrent refreshes of one token, interval 10 s                  | 200×50 | one and the same successor          |
 * | refresh after logout                                                 | 401    | refresh_revoked                     |
 * | refresh after logoutAll / admin revoke of the user                   | 401    | refresh_revoked / 200 (admin: roles |
 * |                                                                      |        | change, not a logout)               |
 * | auth.revokeSession with another user's family id                     | 404    | NOT_FOUND; their session lives on   |
 * | auth.logout with another user's refresh token                        | 200    | sessionEnded false; theirs lives on |
 * | an access token presented as a refresh token (tRPC)                  | 400    | BAD_REQUEST (input over 256 chars)  |
 * | an access token presented as a refresh token (/oauth/token)          | 400    | invalid_grant                       |
 * | an unknown refresh token of the right shape                          | 401    | invalid_refresh_token               |
 * | access token of a user after logoutAll                               | 401    | revoked_token                       |
 * | access token of a user after an admin's setRoles + revokeTokens      | 401    | revoked_token                       |
 * | access token after logout (its jti)                                  | 401    | revoked_token                       |
 */
import { describe, expect, it } from 'vitest'

import { generateRefreshToken } from '@warden/auth'
import { createUser } from '@warden/db'
import { testBackends } from '@warden/db/testing'

import { auditFamilies, familyProblems } from '../faults/family-audit.ts'
import type { TestWarden } from '../harness.ts'
import { expectRefused, KEY_CONFIGS, startAttackTarget } from './attack-kit.ts'

interface TokenAnswer {
  accessToken: string
  refreshToken: string
}

async function refresh(t: TestWarden, refreshToken: string) {
  return t.call('auth.refresh', { refreshToken })
}

async function expectFamiliesSound(t: TestWarden) {
  const states = await auditFamilies(t.database.kysely, new Date(t.clock.now()))
  expect(familyProblems(states)).toEqual([])
  return states
}

describe.each(testBackends())('refresh and session attacks on %s', (backend) => {
  describe.each(KEY_CONFIGS)('signing with $label', ({ alg }) => {
    it('reuse after rotation revokes the family (interval 0 and past a 10 s interval)', async () => {
      for (const interval of ['0', '10']) {
        const target = await startAttackTarget({
          backend,
          alg,
          env: { REFRESH_REUSE_INTERVAL: interval },
        })
        await using t = target.t
        const first = target.victim.refreshToken
        const rotated = await refresh(t, first)
        expect(rotated.status).toBe(200)
        const successor = (rotated.data as TokenAnswer).refreshToken
        t.clock.advance(interval === '0' ? 1 : 10_001)
        const stolen = await refresh(t, first)
        expect(stolen.status).toBe(401)
        expect(stolen.error?.data.authError).toBe('refresh_reused')
        expect(stolen.response.headers.get('www-authenticate')).toBe('Bearer realm="warden"')
        const legit = await refresh(t, successor)
        expect(legit.status).toBe(401)
        expect(legit.error?.data.authError).toBe('refresh_revoked')
        const states = await expectFamiliesSound(t)
        expect([...states.values()].map((state) => state.revokeReason)).toEqual(['reuse_detected'])
      }
    })

    it('50 concurrent refreshes of one token: exactly one success with interval 0', async () => {
      const target = await startAttackTarget({ backend, alg, env: { REFRESH_REUSE_INTERVAL: '0' } })
      await using t = target.t
      const results = await Promise.all(
        Array.from({ length: 50 }, () => refresh(t, target.victim.refreshToken)),
      )
      const statuses = results.map((result) => result.status)
      expect(statuses.filter((status) => status === 200)).toHaveLength(1)
      expect(
        results.filter((result) => result.error?.data.authError === 'refresh_reused'),
      ).toHaveLength(49)
      // Every repeat was a theft: the family is revoked, so the one success cannot continue.
      const states = await expectFamiliesSound(t)
      expect([...states.values()].map((state) => state.revokeReason)).toEqual(['reuse_detected'])
      const winner = results.find((result) => result.status === 200)?.data as TokenAnswer
      expect((await refresh(t, winner.refreshToken)).error?.data.authError).toBe('refresh_revoked')
    })

    it('50 concurrent refreshes of one token within the interval all get the same successor', async () => {
      const target = await startAttackTarget({
        backend,
        alg,
        env: { REFRESH_REUSE_INTERVAL: '10' },
      })
      await using t = target.t
      const results = await Promise.all(
        Array.from({ length: 50 }, () => refresh(t, target.victim.refreshToken)),
      )
      expect(results.map((result) => result.status)).toEqual(Array.from({ length: 50 }, () => 200))
      const successors = new Set(results.map((result) => (result.data as TokenAnswer).refreshToken))
      expect(successors.size).toBe(1)
      const states = await expectFamiliesSound(t)
      const [family] = [...states.values()]
      expect(family).toMatchObject({ revokedAt: null, tokens: 2, live: 1 })
      const [successor] = [...successors]
      expect((await refresh(t, successor ?? '')).status).toBe(200)
    })

    it('refresh after logout, logoutAll; an admin revoke ends access tokens', async () => {
      const target = await startAttackTarget({ backend, alg })
      await using t = target.t
      const { victim } = target

      // logout: this family and this access token.
      const logout = await t.call(
        'auth.logout',
        { refreshToken: victim.refreshToken },
        { token: victim.accessToken },
      )
      expect(logout.data).toEqual({ ok: true, sessionEnded: true })
      expect((await refresh(t, victim.refreshToken)).error?.data.authError).toBe('refresh_revoked')
      await expectRefused(target, `Bearer ${victim.accessToken}`, {
        status: 401,
        code: 'revoked_token',
      })

      // logoutAll: every access token issued before now, every family.
      const laptop = await t.login('victim@example.com')
      const phone = await t.login('victim@example.com')
      t.clock.advance(50)
      expect((await t.call('auth.logoutAll', undefined, { token: phone.accessToken })).status).toBe(
        200,
      )
      for (const session of [laptop, phone]) {
        await expectRefused(target, `Bearer ${session.accessToken}`, {
          status: 401,
          code: 'revoked_token',
        })
        expect((await refresh(t, session.refreshToken)).error?.data.authError).toBe(
          'refresh_revoked',
        )
      }

      // An admin of the victim's tenant changes the victim's roles and revokes their tokens.
      t.clock.advance(50)
      const victimSession = await t.login('victim@example.com')
      const tenantId = (
        await t.database.kysely
          .selectFrom('user_account')
          .select('tenant_id')
          .where('id', '=', victim.id)
          .executeTakeFirstOrThrow()
      ).tenant_id
      const created = await createUser(t.database.kysely, {
        email: 'admin@example.com',
        passwordHash: await t.services.passwords.hash('correct horse battery staple'),
        tenantId,
        roles: ['admin'],
        now: new Date(t.clock.now()),
      })
      expect(created.ok).toBe(true)
      const admin = await t.login('admin@example.com')
      t.clock.advance(50)
      const setRoles = await t.call(
        'admin.users.setRoles',
        { userId: victim.id, roles: ['member'], revokeTokens: true },
        { token: admin.accessToken },
      )
      expect(setRoles.status).toBe(200)
      await expectRefused(target, `Bearer ${victimSession.accessToken}`, {
        status: 401,
        code: 'revoked_token',
      })
      // The admin's own token is untouched.
      expect((await t.call('system.whoami', undefined, { token: admin.accessToken })).status).toBe(
        200,
      )
      await expectFamiliesSound(t)
    })

    it("another user's session cannot be revoked or logged out", async () => {
      const target = await startAttackTarget({ backend, alg })
      await using t = target.t
      const bob = await t.signUp('bob@example.com')
      const bobSessions = (await t.call('auth.sessions', undefined, { token: bob.accessToken }))
        .data as { id: string }[]
      const [bobFamily] = bobSessions
      expect(bobFamily).toBeDefined()

      // The victim lists only their own sessions.
      const own = (await t.call('auth.sessions', undefined, { token: target.victim.accessToken }))
        .data as { id: string }[]
      expect(own.map((session) => session.id)).not.toContain(bobFamily?.id)

      const cross = await t.call(
        'auth.revokeSession',
        { id: bobFamily?.id },
        { token: target.victim.accessToken },
      )
      expect(cross.status).toBe(404)
      expect(cross.error?.data.code).toBe('NOT_FOUND')

      const logout = await t.call(
        'auth.logout',
        { refreshToken: bob.refreshToken },
        { token: target.victim.accessToken },
      )
      expect(logout.status).toBe(200)
      expect(logout.data).toEqual({ ok: true, sessionEnded: false })

      // Bob's session and access token still work; the family rows are untouched.
      const states = await expectFamiliesSound(t)
      expect(states.get(bobFamily?.id ?? '')).toMatchObject({ revokedAt: null, live: 1 })
      expect((await t.call('system.whoami', undefined, { token: bob.accessToken })).status).toBe(
        200,
      )
      expect((await refresh(t, bob.refreshToken)).status).toBe(200)
    })

    it('tokens of one kind are refused where the other is expected', async () => {
      const target = await startAttackTarget({ backend, alg })
      await using t = target.t
      const { victim } = target

      const viaTrpc = await refresh(t, victim.accessToken)
      expect(viaTrpc.status).toBe(400)
      expect(viaTrpc.error?.data.code).toBe('BAD_REQUEST')

      const viaOauth = await t.request('/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: victim.accessToken,
        }).toString(),
      })
      expect(viaOauth.status).toBe(400)
      expect(((await viaOauth.json()) as { error: string }).error).toBe('invalid_grant')

      const unknown = await refresh(t, generateRefreshToken())
      expect(unknown.status).toBe(401)
      expect(unknown.error?.data.authError).toBe('invalid_refresh_token')

      // The refresh token as a bearer token is covered in forged-tokens; the session is intact.
      const states = await expectFamiliesSound(t)
      expect([...states.values()]).toMatchObject([{ revokedAt: null, tokens: 1, live: 1 }])
      expect((await refresh(t, victim.refreshToken)).status).toBe(200)
    })
  })
})
