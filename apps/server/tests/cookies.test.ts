import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { startTestWarden } from './harness.ts'

const json = { 'content-type': 'application/json' }
const credentials = JSON.stringify({
  email: 'ada@example.com',
  password: 'correct horse battery staple',
  transport: 'cookie',
})

function cookieOf(response: Response): { pair: string; attributes: string } {
  const header = response.headers.getSetCookie()[0] ?? ''
  const [pair = '', ...attributes] = header.split('; ')
  return { pair, attributes: attributes.join('; ') }
}

describe.each(testBackends())('cookie transport on %s', (backend) => {
  it('login puts the refresh token only in an HttpOnly, Secure, SameSite=Strict cookie', async () => {
    await using t = await startTestWarden({ backend })
    await t.register('ada@example.com')
    const response = await t.request('/trpc/auth.login', {
      method: 'POST',
      headers: json,
      body: credentials,
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { result: { data: Record<string, unknown> } }
    expect(body.result.data).not.toHaveProperty('refreshToken')
    expect(body.result.data['accessToken']).toEqual(expect.any(String))
    const { pair, attributes } = cookieOf(response)
    expect(pair).toMatch(/^warden_rt=wrt_[A-Za-z0-9_-]{43}$/)
    expect(attributes).toContain('HttpOnly')
    expect(attributes).toContain('Secure')
    expect(attributes).toContain('SameSite=Strict')
    expect(attributes).toContain('Path=/')
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('uses the __Host- prefix over HTTPS and refreshes from the cookie', async () => {
    await using t = await startTestWarden({ backend, env: { TRUST_PROXY: 'true' } })
    await t.register('ada@example.com')
    const https = { ...json, 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.4' }
    const login = await t.request('/trpc/auth.login', {
      method: 'POST',
      headers: https,
      body: credentials,
    })
    const { pair } = cookieOf(login)
    expect(pair).toMatch(/^__Host-warden_rt=wrt_/)
    const refresh = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { ...https, cookie: pair, origin: 'https://app.example' },
      body: '{}',
    })
    expect(refresh.status).toBe(200)
    const next = cookieOf(refresh).pair
    expect(next).toMatch(/^__Host-warden_rt=wrt_/)
    expect(next).not.toBe(pair)
    const body = (await refresh.json()) as { result: { data: Record<string, unknown> } }
    expect(body.result.data).not.toHaveProperty('refreshToken')
  })

  it('a cookie-authenticated refresh from a foreign origin is 403; a listed origin gets CORS', async () => {
    await using t = await startTestWarden({ backend })
    await t.register('ada@example.com')
    const login = await t.request('/trpc/auth.login', {
      method: 'POST',
      headers: json,
      body: credentials,
    })
    const { pair } = cookieOf(login)
    const foreign = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { ...json, cookie: pair, origin: 'https://evil.example' },
      body: '{}',
    })
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    const crossSiteNoOrigin = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { ...json, cookie: pair, 'sec-fetch-site': 'cross-site' },
      body: '{}',
    })
    expect(crossSiteNoOrigin.status).toBe(403)
    const listed = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { ...json, cookie: pair, origin: 'https://app.example' },
      body: '{}',
    })
    expect(listed.status).toBe(200)
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(listed.headers.get('access-control-allow-credentials')).toBe('true')
  })

  it('login with cookie transport from a foreign origin is refused (login CSRF)', async () => {
    await using t = await startTestWarden({ backend })
    await t.register('ada@example.com')
    const response = await t.request('/trpc/auth.login', {
      method: 'POST',
      headers: { ...json, origin: 'https://evil.example' },
      body: credentials,
    })
    expect(response.status).toBe(403)
    expect(response.headers.getSetCookie()).toEqual([])
  })

  it('a failed cookie refresh clears the cookie; logout clears it too', async () => {
    await using t = await startTestWarden({ backend })
    await t.register('ada@example.com')
    const bogus = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { ...json, cookie: 'warden_rt=wrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      body: '{}',
    })
    expect(bogus.status).toBe(401)
    expect(cookieOf(bogus).attributes).toContain('Max-Age=0')
    const login = await t.request('/trpc/auth.login', {
      method: 'POST',
      headers: json,
      body: credentials,
    })
    const { accessToken } = ((await login.json()) as { result: { data: { accessToken: string } } })
      .result.data
    const logout = await t.request('/trpc/auth.logout', {
      method: 'POST',
      headers: { ...json, cookie: cookieOf(login).pair, authorization: `Bearer ${accessToken}` },
      body: '{}',
    })
    expect(logout.status).toBe(200)
    expect(cookieOf(logout).attributes).toContain('Max-Age=0')
    const refresh = await t.request('/trpc/auth.refresh', {
      method: 'POST',
      headers: { ...json, cookie: cookieOf(login).pair },
      body: '{}',
    })
    const body = (await refresh.json()) as { error: { data: { authError: string } } }
    expect(body.error.data.authError).toBe('refresh_revoked')
  })
})
