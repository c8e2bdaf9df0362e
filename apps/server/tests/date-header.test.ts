import type { AddressInfo } from 'node:net'

import { serve } from '@hono/node-server'
import { describe, expect, it } from 'vitest'

import { START, startTestWarden } from './harness.ts'

const httpDate = (ms: number) => new Date(ms).toUTCString()

// Clients estimate the server's time from `Date` to know when their tokens expire (issue 5), so
// the header must tell the clock tokens are issued and verified with.
describe('the Date header follows the server clock', () => {
  it('on every kind of answer, second by second', async () => {
    await using t = await startTestWarden({ backend: 'pglite' })
    const { accessToken } = await t.signUp('ada@example.com')
    const answers = async () =>
      Promise.all([
        t.request('/health'),
        t.request('/.well-known/jwks.json'),
        t.request('/nowhere'),
        t.request('/oauth/token', { method: 'POST' }),
        t.call('system.whoami', undefined, { token: accessToken }).then((r) => r.response),
        t.call('system.whoami').then((r) => r.response),
        t
          .call('auth.login', { email: 'ada@example.com', password: 'wrong' })
          .then((r) => r.response),
      ])
    const dates = async () => (await answers()).map((response) => response.headers.get('date'))

    const first = await answers()
    expect(first.map((response) => response.status)).toEqual([200, 200, 404, 400, 200, 401, 401])
    expect(first.map((response) => response.headers.get('date'))).toEqual(
      Array.from({ length: 7 }, () => httpDate(START)),
    )

    t.clock.advance(999)
    expect(new Set(await dates())).toEqual(new Set([httpDate(START)]))
    t.clock.advance(1)
    expect(new Set(await dates())).toEqual(new Set([httpDate(START + 1000)]))
    t.clock.advance(3600_000)
    expect(new Set(await dates())).toEqual(new Set([httpDate(START + 3601_000)]))
    // A clock set back (a test rewinding, an NTP step) is followed too.
    t.clock.set(START - 86_400_000)
    expect(new Set(await dates())).toEqual(new Set([httpDate(START - 86_400_000)]))
  })

  it('over a real socket, Node keeps it instead of stamping its own', async () => {
    await using t = await startTestWarden({ backend: 'pglite' })
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`)
      expect(response.headers.get('date')).toBe(httpDate(START))
      expect(Date.parse(response.headers.get('date') ?? '')).toBe(START)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
