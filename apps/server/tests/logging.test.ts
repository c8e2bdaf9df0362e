import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { startTestWarden } from './harness.ts'

describe.each(testBackends())('request log on %s', (backend) => {
  it('one structured line per request; no token, cookie or password ever appears', async () => {
    await using t = await startTestWarden({ backend })
    const password = 'a very private passphrase 42'
    const secrets: string[] = [password]
    await t.register('ada@example.com', password)
    const login = await t.request('/trpc/auth.login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://app.example' },
      body: JSON.stringify({ email: 'ada@example.com', password, transport: 'cookie' }),
    })
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? ''
    const { accessToken } = ((await login.json()) as { result: { data: { accessToken: string } } })
      .result.data
    secrets.push(accessToken, cookie.split('=')[1] ?? '')

    const refresh = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: 'https://app.example' },
      body: '{}',
    })
    const refreshed = ((await refresh.json()) as { result: { data: { accessToken: string } } })
      .result.data
    const nextCookie = refresh.headers.getSetCookie()[0]?.split(';')[0] ?? ''
    secrets.push(refreshed.accessToken, nextCookie.split('=')[1] ?? '')
    await t.call('system.whoami', undefined, { token: refreshed.accessToken })
    await t.call('system.whoami', undefined, { token: `${refreshed.accessToken.slice(0, -4)}AAAA` })
    await t.request(`/trpc/system.whoami?access_token=${refreshed.accessToken}`)
    const deleted = await t.call(
      'projects.delete',
      { id: '0190d3a4-7c1e-7a5e-9b1c-000000000000' },
      { token: refreshed.accessToken },
    )
    expect(deleted.status).toBe(403)
    await t.request('/trpc/auth.logout', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: nextCookie,
        authorization: `Bearer ${refreshed.accessToken}`,
      },
      body: '{}',
    })
    // The family is gone after the logout; and a wrong password.
    const afterLogout = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: nextCookie },
      body: '{}',
    })
    expect(afterLogout.status).toBe(401)
    const wrong = await t.call('auth.login', {
      email: 'ada@example.com',
      password: 'not it at all',
    })
    expect(wrong.status).toBe(401)

    const requests = t.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry['message'] === 'request')
    expect(requests.length).toBeGreaterThanOrEqual(10)
    const logged = (path: string, status: number) =>
      requests.find((entry) => entry['path'] === path && entry['status'] === status)
    for (const entry of requests) {
      expect(Object.keys(entry).sort()).toEqual(
        expect.arrayContaining(['level', 'message', 'method', 'ms', 'path', 'status', 'time']),
      )
    }
    expect(requests.some((entry) => entry['authError'] === 'invalid_signature')).toBe(true)
    expect(requests.some((entry) => typeof entry['userId'] === 'string')).toBe(true)
    // Failures of the calls themselves are logged by code too, not only the bearer token's.
    expect(logged('/trpc/auth.login', 401)?.['authError']).toBe('invalid_credentials')
    expect(logged('/trpc/auth.refresh', 401)?.['authError']).toBe('refresh_revoked')
    expect(logged('/trpc/projects.delete', 403)?.['authError']).toBe('insufficient_scope')

    const everything = t.logLines.join('\n')
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10)
      expect(everything).not.toContain(secret)
      expect(everything).not.toContain(secret.slice(0, 24))
    }
    expect(everything.toLowerCase()).not.toContain('authorization')
    expect(everything.toLowerCase()).not.toContain('cookie')
  })
})
