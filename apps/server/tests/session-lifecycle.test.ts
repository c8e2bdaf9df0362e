import { describe, expect, it } from 'vitest'

import { listAuditEvents } from '@warden/db'
import { testBackends } from '@warden/db/testing'

import { invalidToken, START, startTestWarden } from './harness.ts'

describe.each(testBackends())('session lifecycle on %s', (backend) => {
  it('a valid token reaches a protected procedure; whoami reads the token alone', async () => {
    await using t = await startTestWarden({ backend })
    const { user, accessToken } = await t.signUp('ada@example.com')
    const whoami = await t.call('system.whoami', undefined, { token: accessToken })
    expect(whoami.status).toBe(200)
    expect(whoami.data).toMatchObject({
      sub: user.id,
      clientId: 'warden',
      roles: ['member'],
      scope: 'invoices:read invoices:write projects:read projects:write',
    })
    const me = await t.call('auth.me', undefined, { token: accessToken })
    expect(me.data).toMatchObject({ id: user.id, email: 'ada@example.com', roles: ['member'] })
  })

  it('whoami, answered again and again, answers each token with its own claims', async () => {
    // The answer is built and serialized once per verified token: it must never be another's.
    await using t = await startTestWarden({ backend })
    const ada = await t.signUp('ada@example.com')
    t.clock.advance(1000)
    const bob = await t.signUp('bob@example.com')
    const expected = (session: typeof ada, issuedAt: number) => ({
      sub: session.user.id,
      clientId: 'warden',
      roles: ['member'],
      scope: 'invoices:read invoices:write projects:read projects:write',
      tenantId: expect.any(String) as string,
      expiresAt: new Date(issuedAt + 900_000).toISOString(),
    })
    for (let round = 0; round < 3; round++) {
      for (const [session, issuedAt] of [
        [ada, START],
        [bob, START + 1000],
      ] as const) {
        const whoami = await t.call('system.whoami', undefined, { token: session.accessToken })
        expect(whoami.status).toBe(200)
        expect(whoami.data).toEqual(expected(session, issuedAt))
      }
    }
  })

  it('an expired token gets 401 expired_token, exactly at exp', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken, expiresIn } = await t.signUp('ada@example.com')
    expect(expiresIn).toBe(900)
    t.clock.advance(900_000 - 1)
    expect((await t.call('system.whoami', undefined, { token: accessToken })).status).toBe(200)
    t.clock.advance(1)
    const result = await t.call('system.whoami', undefined, { token: accessToken })
    expect(result.status).toBe(401)
    expect(result.response.headers.get('www-authenticate')).toBe(invalidToken('expired_token'))
    expect(result.error?.data.authError).toBe('expired_token')
  })

  it('a token for another audience gets 401 wrong_audience', async () => {
    await using t = await startTestWarden({ backend })
    const { user } = await t.signUp('ada@example.com')
    const { token } = await t.services.tokens.issueAccessToken({
      sub: user.id,
      audience: 'warden-reports',
      clientId: 'warden',
    })
    const result = await t.call('system.whoami', undefined, { token })
    expect(result.status).toBe(401)
    expect(result.response.headers.get('www-authenticate')).toBe(invalidToken('wrong_audience'))
  })

  it('an authenticated user without the role or scope gets 403 insufficient_scope', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken } = await t.signUp('ada@example.com')
    const project = await t.call('projects.create', { name: 'Apollo' }, { token: accessToken })
    expect(project.status).toBe(200)
    const id = (project.data as { id: string }).id
    for (const [procedure, input] of [
      ['projects.delete', { id }],
      ['admin.users.list', undefined],
      ['invoices.approve', { id }],
    ] as const) {
      const result = await t.call(procedure, input, { token: accessToken })
      expect(result.status, procedure).toBe(403)
      expect(result.response.headers.get('www-authenticate'), procedure).toBe(
        'Bearer realm="warden", error="insufficient_scope"',
      )
      expect(result.error?.data.authError, procedure).toBe('insufficient_scope')
    }
  })

  it('login → refresh → reuse detected → family revoked → logout', async () => {
    await using t = await startTestWarden({ backend, env: { REFRESH_REUSE_INTERVAL: '10' } })
    const { user, refreshToken: first } = await t.signUp('ada@example.com')

    const rotated = await t.call('auth.refresh', { refreshToken: first })
    expect(rotated.status).toBe(200)
    const second = (rotated.data as { refreshToken: string; accessToken: string }).refreshToken
    expect(second).not.toBe(first)

    // A lost response: the same token again within the interval gets the same successor.
    t.clock.advance(5_000)
    const replay = await t.call('auth.refresh', { refreshToken: first })
    expect(replay.status).toBe(200)
    expect((replay.data as { refreshToken: string }).refreshToken).toBe(second)

    // Past the interval, presenting the rotated token is theft: the whole family is revoked.
    t.clock.advance(6_000)
    const reuse = await t.call('auth.refresh', { refreshToken: first })
    expect(reuse.status).toBe(401)
    expect(reuse.error?.data.authError).toBe('refresh_reused')
    const afterTheft = await t.call('auth.refresh', { refreshToken: second })
    expect(afterTheft.status).toBe(401)
    expect(afterTheft.error?.data.authError).toBe('refresh_revoked')
    const events = await listAuditEvents(t.database.kysely, {})
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'reuse_detected',
        'family_revoked',
        'login_succeeded',
        'user_registered',
      ]),
    )

    // A new login, then logout: the access token is refused on the very next request.
    const session = await t.login('ada@example.com')
    const logout = await t.call(
      'auth.logout',
      { refreshToken: session.refreshToken },
      { token: session.accessToken },
    )
    expect(logout.status).toBe(200)
    const after = await t.call('system.whoami', undefined, { token: session.accessToken })
    expect(after.status).toBe(401)
    expect(after.response.headers.get('www-authenticate')).toBe(invalidToken('revoked_token'))
    const refreshAfterLogout = await t.call('auth.refresh', { refreshToken: session.refreshToken })
    expect(refreshAfterLogout.error?.data.authError).toBe('refresh_revoked')
    expect(user.email).toBe('ada@example.com')
  })

  it('with REFRESH_REUSE_INTERVAL=0 every second presentation is theft', async () => {
    await using t = await startTestWarden({ backend, env: { REFRESH_REUSE_INTERVAL: '0' } })
    const { refreshToken } = await t.signUp('ada@example.com')
    expect((await t.call('auth.refresh', { refreshToken })).status).toBe(200)
    const again = await t.call('auth.refresh', { refreshToken })
    expect(again.error?.data.authError).toBe('refresh_reused')
  })

  it('logoutAll revokes every access token issued before now and every session', async () => {
    await using t = await startTestWarden({ backend })
    await t.signUp('ada@example.com')
    const laptop = await t.login('ada@example.com')
    const phone = await t.login('ada@example.com')
    t.clock.advance(250)
    const done = await t.call('auth.logoutAll', undefined, { token: laptop.accessToken })
    expect(done.status).toBe(200)
    for (const token of [laptop.accessToken, phone.accessToken]) {
      const result = await t.call('system.whoami', undefined, { token })
      expect(result.error?.data.authError).toBe('revoked_token')
    }
    expect(
      (await t.call('auth.refresh', { refreshToken: phone.refreshToken })).error?.data.authError,
    ).toBe('refresh_revoked')
    // A login right after (same second) is not caught by the cut-off.
    t.clock.advance(100)
    const fresh = await t.login('ada@example.com')
    expect((await t.call('system.whoami', undefined, { token: fresh.accessToken })).status).toBe(
      200,
    )
  })

  it('sessions lists active families; revokeSession ends only the caller’s own', async () => {
    await using t = await startTestWarden({ backend })
    const ada = await t.signUp('ada@example.com')
    await t.login('ada@example.com')
    const bob = await t.signUp('bob@example.com')
    const sessions = await t.call('auth.sessions', undefined, {
      token: ada.accessToken,
      headers: {},
    })
    const list = sessions.data as { id: string }[]
    expect(list).toHaveLength(2)
    const bobs = (await t.call('auth.sessions', undefined, { token: bob.accessToken })).data as {
      id: string
    }[]
    const [bobFamily] = bobs
    // Another user's family is not found, not revoked.
    const cross = await t.call(
      'auth.revokeSession',
      { id: bobFamily?.id },
      { token: ada.accessToken },
    )
    expect(cross.status).toBe(404)
    expect((await t.call('auth.refresh', { refreshToken: bob.refreshToken })).status).toBe(200)
    const own = await t.call('auth.revokeSession', { id: list[0]?.id }, { token: ada.accessToken })
    expect(own.status).toBe(200)
    const remaining = (await t.call('auth.sessions', undefined, { token: ada.accessToken })).data
    expect(remaining).toHaveLength(1)
  })

  it('registration refuses weak and common passwords and duplicate emails, case-insensitively', async () => {
    await using t = await startTestWarden({ backend })
    const short = await t.call('auth.register', { email: 'a@example.com', password: 'short' })
    expect(short.status).toBe(400)
    expect(short.error?.data.authError).toBe('weak_password')
    const common = await t.call('auth.register', {
      email: 'a@example.com',
      password: 'qwertyuiop123',
    })
    expect(common.error?.data.authError).toBe('weak_password')
    await t.register('Ada@Example.com')
    const duplicate = await t.call('auth.register', {
      email: 'ada@EXAMPLE.com',
      password: 'another good passphrase',
    })
    expect(duplicate.status).toBe(409)
  })

  it('wrong email and wrong password get the same 401 and the same message', async () => {
    await using t = await startTestWarden({ backend })
    await t.register('ada@example.com')
    const wrongPassword = await t.call('auth.login', {
      email: 'ada@example.com',
      password: 'not the password at all',
    })
    const unknownEmail = await t.call('auth.login', {
      email: 'nobody@example.com',
      password: 'not the password at all',
    })
    expect(wrongPassword.status).toBe(401)
    expect(unknownEmail.status).toBe(401)
    expect(wrongPassword.error?.message).toBe(unknownEmail.error?.message)
    expect(wrongPassword.error?.data.authError).toBe('invalid_credentials')
    expect(unknownEmail.error?.data.authError).toBe('invalid_credentials')
    expect(wrongPassword.response.headers.get('www-authenticate')).toBe(
      unknownEmail.response.headers.get('www-authenticate'),
    )
  })
})
