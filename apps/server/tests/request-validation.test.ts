import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { startTestWarden } from './harness.ts'

const INVALID_REQUEST = 'Bearer realm="warden", error="invalid_request"'

describe.each(testBackends())('malformed requests on %s', (backend) => {
  it('a token in the query string is 400 invalid_request, even on a public procedure', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken } = await t.signUp('ada@example.com')
    for (const path of [
      `/trpc/system.whoami?access_token=${accessToken}`,
      `/trpc/system.info?access_token=x`,
    ]) {
      const response = await t.request(path)
      expect(response.status, path).toBe(400)
      expect(response.headers.get('www-authenticate')).toBe(INVALID_REQUEST)
      const body = (await response.json()) as { error: { data: { authError: string } } }
      expect(body.error.data.authError).toBe('invalid_request')
    }
  })

  it('two Authorization headers are 400 invalid_request', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken } = await t.signUp('ada@example.com')
    const headers = new Headers()
    headers.append('authorization', `Bearer ${accessToken}`)
    headers.append('authorization', `Bearer ${accessToken}`)
    const response = await t.request('/trpc/system.whoami', { headers })
    expect(response.status).toBe(400)
    expect(response.headers.get('www-authenticate')).toBe(INVALID_REQUEST)
  })

  it.each([
    ['a bare scheme', 'Bearer'],
    ['an empty token', 'Bearer '],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['a comma', 'Bearer a.b.c,'],
    ['a quote', 'Bearer "a.b.c"'],
    ['Basic then Bearer', 'Basic YTpi, Bearer a.b.c'],
  ])('a malformed header (%s) is 400 invalid_request', async (_name, header) => {
    await using t = await startTestWarden({ backend })
    const response = await t.request('/trpc/system.whoami', { headers: { authorization: header } })
    expect(response.status).toBe(400)
    expect(response.headers.get('www-authenticate')).toBe(INVALID_REQUEST)
  })

  it('another scheme is treated as no credentials: 401 with the bare challenge', async () => {
    await using t = await startTestWarden({ backend })
    const response = await t.request('/trpc/system.whoami', {
      headers: { authorization: 'Basic YWRhOnB3' },
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="warden"')
  })

  it('the scheme is case-insensitive', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken } = await t.signUp('ada@example.com')
    const response = await t.request('/trpc/system.whoami', {
      headers: { authorization: `bEaReR ${accessToken}` },
    })
    expect(response.status).toBe(200)
  })

  it('each call of a batch carries its own authError, and the header names the first', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken } = await t.signUp('ada@example.com')
    const input = encodeURIComponent(JSON.stringify({}))
    const response = await t.request(
      `/trpc/system.info,system.whoami,admin.users.list?batch=1&input=${input}`,
      {
        headers: { authorization: `Bearer ${accessToken}` },
      },
    )
    expect(response.status).toBe(207)
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="warden", error="insufficient_scope"',
    )
    const body = (await response.json()) as {
      result?: unknown
      error?: { data: { authError?: string } }
    }[]
    expect(body[0]?.result).toBeDefined()
    expect(body[1]?.result).toBeDefined()
    expect(body[2]?.error?.data.authError).toBe('insufficient_scope')

    t.clock.advance(3_600_000)
    const expired = await t.request(`/trpc/system.whoami,auth.me?batch=1&input=${input}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
    expect(expired.status).toBe(401)
    const errors = (await expired.json()) as { error?: { data: { authError?: string } } }[]
    expect(errors.map((entry) => entry.error?.data.authError)).toEqual([
      'expired_token',
      'expired_token',
    ])
  })

  it('batches are capped', async () => {
    await using t = await startTestWarden({ backend })
    const paths = Array.from({ length: 51 }, () => 'system.info').join(',')
    const response = await t.request(`/trpc/${paths}?batch=1&input=%7B%7D`)
    expect(response.status).toBe(400)
  })

  it('unknown paths are 404; no stack trace ever reaches the wire', async () => {
    await using t = await startTestWarden({ backend })
    expect((await t.request('/nope')).status).toBe(404)
    expect((await t.request('/trpc/nope.nothing')).status).toBe(404)
    const bad = await t.call('auth.login', { email: 'not-an-email', password: 1 })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.json)).not.toContain('stack')
  })
})
