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
    await t.request('/trpc/auth.logout', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: nextCookie,
        authorization: `Bearer ${refreshed.accessToken}`,
      },
      body: '{}',
    })

    const requests = t.logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry['message'] === 'request')
    expect(requests.length).toBeGreaterThanOrEqual(7)
    for (const entry of requests) {
      expect(Object.keys(entry).sort()).toEqual(
        expect.arrayContaining(['level', 'message', 'method', 'ms', 'path', 'status', 'time']),
      )
    }
    expect(requests.some((entry) => entry['authError'] === 'invalid_signature')).toBe(true)
    expect(requests.some((entry) => typeof entry['userId'] === 'string')).toBe(true)

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
