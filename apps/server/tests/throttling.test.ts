import { describe, expect, it } from 'vitest'

import { listAuditEvents } from '@warden/db'
import { createTestDatabase, testBackends } from '@warden/db/testing'

import { saturableHasher, startTestWarden } from './harness.ts'

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } })

describe.each(testBackends())('brute-force protection on %s', (backend) => {
  it('a saturated password hasher: logins refused 503 overloaded before any database query', async () => {
    // The text of every statement the database answers, in order.
    const statements: string[] = []
    await using database = await createTestDatabase(backend, {
      onQuery: (sql) => statements.push(sql),
    })
    const hasher = saturableHasher()
    await using t = await startTestWarden({
      backend,
      database,
      passwords: hasher.passwords,
    })
    await t.register('ada@example.com')

    hasher.saturate()
    for (const email of ['ada@example.com', 'ghost@example.com']) {
      statements.length = 0
      const refused = await t.call('auth.login', {
        email,
        password: 'correct horse battery staple',
      })
      expect(refused.status, email).toBe(503)
      expect(refused.error?.data.authError).toBe('overloaded')
      expect(refused.response.headers.get('retry-after')).toBe('1')
      expect(statements, email).toEqual([])
    }

    await hasher.free()
    statements.length = 0
    expect(
      (
        await t.call('auth.login', {
          email: 'ada@example.com',
          password: 'correct horse battery staple',
        })
      ).status,
    ).toBe(200)
    expect(statements.length).toBeGreaterThan(0)
  })

  it('5 failures from one account and IP pair, then 429 with Retry-After — identical for unknown accounts', async () => {
    await using t = await startTestWarden({ backend, env: { TRUST_PROXY: 'true' } })
    await t.register('ada@example.com')
    for (const email of ['ada@example.com', 'ghost@example.com']) {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const result = await t.call(
          'auth.login',
          { email, password: 'wrong wrong wrong' },
          from('198.51.100.1'),
        )
        expect(result.status, `${email} #${attempt}`).toBe(401)
      }
      const blocked = await t.call(
        'auth.login',
        { email, password: 'wrong wrong wrong' },
        from('198.51.100.1'),
      )
      expect(blocked.status, email).toBe(429)
      expect(blocked.error?.data.authError).toBe('rate_limited')
      expect(Number(blocked.response.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(blocked.response.headers.get('www-authenticate')).toBeNull()
      // Even the right password is refused from that pair while it is blocked.
      const right = await t.call(
        'auth.login',
        { email, password: 'correct horse battery staple' },
        from('198.51.100.1'),
      )
      expect(right.status).toBe(429)
    }
    const events = await listAuditEvents(t.database.kysely, { type: 'lockout' })
    expect(events.length).toBeGreaterThanOrEqual(2)
  })

  it('the owner is only slowed, not locked out, by failures from elsewhere', async () => {
    await using t = await startTestWarden({ backend, env: { TRUST_PROXY: 'true' } })
    await t.register('ada@example.com')
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await t.call(
        'auth.login',
        { email: 'ada@example.com', password: 'guess guess guess' },
        from('203.0.113.66'),
      )
    }
    const owner = { email: 'ada@example.com', password: 'correct horse battery staple' }
    const soon = await t.call('auth.login', owner, from('198.51.100.2'))
    expect(soon.status).toBe(429)
    const wait = Number(soon.response.headers.get('retry-after'))
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(2)
    t.clock.advance(wait * 1000)
    const later = await t.call('auth.login', owner, from('198.51.100.2'))
    expect(later.status).toBe(200)
  })

  it('every call of a batch counts: a batch of 100 logins is 100 attempts', async () => {
    await using t = await startTestWarden({ backend, env: { TRUST_PROXY: 'true' } })
    await t.register('ada@example.com')
    const paths = Array.from({ length: 50 }, () => 'auth.login').join(',')
    const input = Object.fromEntries(
      Array.from({ length: 50 }, (_, index) => [
        index,
        { email: 'ada@example.com', password: `guess number ${index}` },
      ]),
    )
    const response = await t.request(`/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.9' },
      body: JSON.stringify(input),
    })
    const results = (await response.json()) as { error?: { data: { authError?: string } } }[]
    const codes = results.map((entry) => entry.error?.data.authError)
    expect(codes.filter((code) => code === 'invalid_credentials')).toHaveLength(5)
    expect(codes.filter((code) => code === 'rate_limited')).toHaveLength(45)
  })
})
