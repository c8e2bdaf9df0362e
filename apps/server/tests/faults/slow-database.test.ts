/*
 * A slow database: the proxy in front of PostgreSQL delays every chunk both ways by more than
 * the pool's timeouts (statement 500 ms, so the client's read timeout is 1.5 s; connect 500 ms).
 * A burst of logins and refreshes runs meanwhile, and a probe keeps asking /health.
 *
 * | while PostgreSQL answers 2 × 2 s late               | expected                                  |
 * |-----------------------------------------------------|-------------------------------------------|
 * | auth.login, auth.refresh (burst of 24)              | 503 SERVICE_UNAVAILABLE, each within 3 s  |
 * | system.whoami with a valid token                    | 200 within 100 ms                         |
 * | GET /health (probed every 25 ms)                    | 200, p99 under 100 ms                     |
 * | event-loop delay (monitorEventLoopDelay)            | p99 under 100 ms                          |
 * | GET /health/ready                                   | 503 within 2.5 s                          |
 * | after the delay is lifted                           | login and refresh 200 again, no restart   |
 * | a delay under the timeouts (2 × 100 ms)             | login and refresh 200, just slower        |
 * | 16 logins from one IP (its attempts run one by one) | 503, or 429 + Retry-After once an attempt |
 * |                                                     | waited 5 s for those ahead: all within 8 s |
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { describe, expect, it, vi } from 'vitest'

import { POSTGRES_SKIPPED } from '@warden/db/testing'

import { auditFamilies, familyProblems } from './family-audit.ts'
import { POSTGRES_FAULTS, startProxiedWarden } from './proxied-warden.ts'

const suite = POSTGRES_FAULTS ? describe : describe.skip
const title = (name: string) => (POSTGRES_FAULTS ? name : `${name} — ${POSTGRES_SKIPPED}`)

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN
}

suite(title('a slow database'), () => {
  it('requests time out with 503 within the bound, the event loop and /health stay responsive, and everything recovers', async () => {
    await using p = await startProxiedWarden({
      statementTimeoutMs: 500,
      connectionTimeoutMs: 500,
      env: { TRUST_PROXY: 'true' },
    })
    const { t } = p
    const sessions = []
    for (let i = 0; i < 12; i += 1) sessions.push(await t.signUp(`user${i}@example.com`))
    const [first] = sessions
    if (first === undefined) throw new Error('no session')

    // Under the timeouts, slowness is only slowness.
    p.proxy.delay(100)
    expect((await t.call('auth.refresh', { refreshToken: first.refreshToken })).status).toBe(200)
    const relogin = await t.login('user0@example.com')
    sessions[0] = relogin

    p.proxy.delay(2000)
    const loop = monitorEventLoopDelay({ resolution: 10 })
    loop.enable()
    const probes: number[] = []
    const probing = { on: true }
    const probe = (async () => {
      while (probing.on) {
        const started = performance.now()
        const health = await t.request('/health')
        probes.push(performance.now() - started)
        expect(health.status).toBe(200)
        const whoamiStarted = performance.now()
        const whoami = await t.call('system.whoami', undefined, { token: relogin.accessToken })
        expect(whoami.status).toBe(200)
        expect(performance.now() - whoamiStarted).toBeLessThan(100)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    })()

    const burst = await Promise.all([
      ...sessions.map(async (session, index) => {
        const started = performance.now()
        const result =
          index % 2 === 0
            ? await t.call('auth.refresh', { refreshToken: session.refreshToken })
            : await t.call(
                'auth.login',
                { email: `user${index}@example.com`, password: 'correct horse battery staple' },
                // Distinct clients: one client's logins wait in its own per-IP queue.
                { headers: { 'x-forwarded-for': `198.51.100.${index}` } },
              )
        return { result, ms: performance.now() - started }
      }),
      ...sessions.map(async (session) => {
        const started = performance.now()
        const result = await t.call('projects.list', undefined, { token: session.accessToken })
        return { result, ms: performance.now() - started }
      }),
    ])
    const readyStarted = performance.now()
    expect((await t.request('/health/ready')).status).toBe(503)
    const readyMs = performance.now() - readyStarted
    probing.on = false
    await probe
    loop.disable()

    for (const { result, ms } of burst) {
      expect(result.status).toBe(503)
      expect(result.error?.data.code).toBe('SERVICE_UNAVAILABLE')
      expect(result.response.headers.get('retry-after')).not.toBeNull()
      expect(ms).toBeLessThan(3000)
    }
    expect(readyMs).toBeLessThan(2500)
    expect(probes.length).toBeGreaterThan(10)
    expect(
      percentile(probes, 99),
      `health probe ms: ${probes.map(Math.round).join(' ')}`,
    ).toBeLessThan(100)
    expect(loop.percentile(99) / 1e6, 'event-loop delay p99 (ms)').toBeLessThan(100)

    p.proxy.restore()
    await vi.waitFor(
      async () => {
        const login = await t.call('auth.login', {
          email: 'user1@example.com',
          password: 'correct horse battery staple',
        })
        expect(login.status).toBe(200)
      },
      { timeout: 10_000, interval: 100 },
    )
    // The refreshes that timed out burned nothing: each token rotates now.
    for (const [index, session] of sessions.entries()) {
      if (index % 2 !== 0) continue
      expect((await t.call('auth.refresh', { refreshToken: session.refreshToken })).status).toBe(
        200,
      )
    }
    const states = await auditFamilies(p.direct.kysely, new Date(t.clock.now()))
    expect(familyProblems(states)).toEqual([])
    expect([...states.values()].filter((state) => state.revokedAt !== null)).toEqual([])
  }, 60_000)

  it('logins queued behind one another from one IP are refused after a bounded wait, not after every time-out ahead of them', async () => {
    await using p = await startProxiedWarden({ statementTimeoutMs: 500, connectionTimeoutMs: 500 })
    const { t } = p
    await t.register('ada@example.com')
    p.proxy.delay(2000)
    const answers = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const started = performance.now()
        const result = await t.call('auth.login', {
          email: 'ada@example.com',
          password: 'correct horse battery staple',
        })
        return { result, ms: performance.now() - started }
      }),
    )
    p.proxy.restore()
    const statuses = answers.map(({ result }) => result.status)
    for (const { result, ms } of answers) {
      expect([429, 503]).toContain(result.status)
      expect(Number(result.response.headers.get('retry-after'))).toBeGreaterThan(0)
      // 5 s of waiting for the attempts ahead, then at most one attempt's own bound.
      expect(ms, statuses.join(' ')).toBeLessThan(8000)
    }
    expect(statuses).toContain(429)
  }, 60_000)
})
