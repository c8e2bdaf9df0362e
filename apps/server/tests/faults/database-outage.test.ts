/*
 * PostgreSQL goes away while the server runs: a TCP proxy between the pool (and the LISTEN
 * connection) and PostgreSQL is cut (connections reset) or blackholed (a partition: nothing
 * answers), then restored. The server is never restarted.
 *
 * | while the database is away                         | answer                                        |
 * |----------------------------------------------------|-----------------------------------------------|
 * | system.whoami with a valid token                   | 200, as fast as usual (token and memory only) |
 * | auth.login, auth.refresh, auth.register            | 503 SERVICE_UNAVAILABLE, Retry-After, no stack |
 * | projects.list (needs the database)                 | 503 SERVICE_UNAVAILABLE                        |
 * | POST /oauth/token (refresh_token grant)            | 503 temporarily_unavailable, Retry-After      |
 * | GET /health/ready · GET /health                    | 503 · 200                                     |
 * | bound: cut (reset)                                 | every answer within 2 s                       |
 * | bound: partition (blackhole), timeouts 1 s         | every answer within 4 s                       |
 *
 * | after the proxy is restored                        | expected                                      |
 * |----------------------------------------------------|-----------------------------------------------|
 * | login, refresh with the pre-outage token           | 200 (a refused refresh burned nothing)        |
 * | a logoutAll made on another instance meanwhile     | enforced here once LISTEN reconnects (resync) |
 * | refreshes cut mid-flight, response lost            | the old token again gets the same successor   |
 * | every family                                       | one live token, no child without a used parent |
 */
import { describe, expect, it, vi } from 'vitest'

import { POSTGRES_SKIPPED } from '@warden/db/testing'

import { startTestWarden, type TestWarden, type TrpcEnvelope } from '../harness.ts'
import { auditFamilies, familyProblems } from './family-audit.ts'
import { POSTGRES_FAULTS, startProxiedWarden, type ProxiedWarden } from './proxied-warden.ts'

const suite = POSTGRES_FAULTS ? describe : describe.skip
const title = (name: string) => (POSTGRES_FAULTS ? name : `${name} — ${POSTGRES_SKIPPED}`)

interface Tokens {
  accessToken: string
  refreshToken: string
}

async function timed<T>(run: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await run()
  return { value, ms: performance.now() - started }
}

function expectUnavailable(result: Awaited<ReturnType<TestWarden['call']>>, label: string) {
  expect(result.status, label).toBe(503)
  expect(result.error?.data.code, label).toBe('SERVICE_UNAVAILABLE')
  expect(result.error?.data, label).not.toHaveProperty('stack')
  expect(result.error?.message, label).toMatch(/database/i)
  expect(Number(result.response.headers.get('retry-after')), label).toBeGreaterThan(0)
}

/** Everything the table says about the time the database is away, each within `boundMs`. */
async function expectDegraded(p: ProxiedWarden, session: Tokens, boundMs: number) {
  const { t } = p
  for (let i = 0; i < 3; i += 1) {
    const whoami = await timed(() =>
      t.call('system.whoami', undefined, { token: session.accessToken }),
    )
    expect(whoami.value.status).toBe(200)
    expect(whoami.ms).toBeLessThan(200)
  }
  const calls: [string, () => ReturnType<TestWarden['call']>][] = [
    [
      'auth.login',
      () =>
        t.call('auth.login', {
          email: 'ada@example.com',
          password: 'correct horse battery staple',
        }),
    ],
    ['auth.refresh', () => t.call('auth.refresh', { refreshToken: session.refreshToken })],
    [
      'auth.register',
      () =>
        t.call('auth.register', {
          email: 'new@example.com',
          password: 'correct horse battery staple',
        }),
    ],
    ['projects.list', () => t.call('projects.list', undefined, { token: session.accessToken })],
  ]
  const answers = await Promise.all(calls.map(([, call]) => timed(call)))
  answers.forEach(({ value, ms }, index) => {
    const label = calls[index]?.[0] ?? ''
    expectUnavailable(value, label)
    expect(ms, label).toBeLessThan(boundMs)
  })

  const oauth = await timed(() =>
    t.request('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: session.refreshToken,
      }).toString(),
    }),
  )
  expect(oauth.value.status).toBe(503)
  expect(await oauth.value.json()).toMatchObject({ error: 'temporarily_unavailable' })
  expect(Number(oauth.value.headers.get('retry-after'))).toBeGreaterThan(0)
  expect(oauth.ms).toBeLessThan(boundMs)

  const ready = await timed(() => t.request('/health/ready'))
  expect(ready.value.status).toBe(503)
  expect(ready.ms).toBeLessThan(Math.max(boundMs, 2500))
  expect((await t.request('/health')).status).toBe(200)
}

async function expectRecovered(p: ProxiedWarden, session: Tokens) {
  const { t } = p
  await vi.waitFor(
    async () => {
      expect((await t.request('/health/ready')).status).toBe(200)
    },
    { timeout: 5000, interval: 50 },
  )
  // The refresh refused during the outage burned nothing: the same token rotates now.
  const refreshed = await t.call('auth.refresh', { refreshToken: session.refreshToken })
  expect(refreshed.status).toBe(200)
  const next = refreshed.data as Tokens
  expect((await t.call('auth.refresh', { refreshToken: next.refreshToken })).status).toBe(200)
  expect((await t.login('ada@example.com')).accessToken).toBeTruthy()
  expect((await t.call('projects.list', undefined, { token: next.accessToken })).status).toBe(200)
  const states = await auditFamilies(p.direct.kysely, new Date(t.clock.now()))
  expect(familyProblems(states)).toEqual([])
  // Only a deliberate logout ends a family; an outage never looks like a theft.
  const ended = [...states.values()].filter((state) => state.revokedAt !== null)
  expect(ended.filter((state) => state.revokeReason !== 'logout_all')).toEqual([])
}

suite(title('PostgreSQL goes away while the server runs'), () => {
  it('cut: tokens keep working, database flows answer 503 fast, all recovers on restore, and a revocation made meanwhile is resynced', async () => {
    await using p = await startProxiedWarden({
      statementTimeoutMs: 1000,
      connectionTimeoutMs: 1000,
    })
    const { t } = p
    const ada = await t.signUp('ada@example.com')
    const bob = await t.signUp('bob@example.com')

    // A second instance on the same database, directly connected: it keeps working throughout.
    await using other = await startTestWarden({ backend: 'postgres', database: p.direct })
    other.services.tokens.setKeys(t.services.tokens.keys)

    p.proxy.cut()
    await expectDegraded(p, ada, 2000)

    // Bob logs out everywhere through the other instance while this one cannot hear NOTIFY.
    t.clock.advance(1000)
    other.clock.set(t.clock.now())
    expect((await other.call('auth.logoutAll', undefined, { token: bob.accessToken })).status).toBe(
      200,
    )
    expect((await t.call('system.whoami', undefined, { token: bob.accessToken })).status).toBe(200)

    p.proxy.restore()
    // The LISTEN connection comes back and reloads what it missed: bob's token stops working
    // here too, without a restart and without waiting for the periodic resync.
    await vi.waitFor(
      async () => {
        const result = await t.call('system.whoami', undefined, { token: bob.accessToken })
        expect(result.error?.data.authError).toBe('revoked_token')
      },
      { timeout: 5000, interval: 50 },
    )
    await expectRecovered(p, ada)
    const body = (await (
      await t.request('/trpc/auth.refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: bob.refreshToken }),
      })
    ).json()) as TrpcEnvelope
    expect(body.error?.data.authError).toBe('refresh_revoked')
  }, 60_000)

  it('partition (blackhole): the same answers within the timeout bound, then recovery', async () => {
    await using p = await startProxiedWarden({
      statementTimeoutMs: 1000,
      connectionTimeoutMs: 1000,
    })
    const { t } = p
    const ada = await t.signUp('ada@example.com')
    p.proxy.blackhole()
    // statement_timeout cannot fire (the server never sees the query): the client's read
    // timeout (1 s + 1 s margin) and the connect timeout (1 s) bound every answer.
    await expectDegraded(p, ada, 4000)
    p.proxy.restore()
    await expectRecovered(p, ada)
  }, 60_000)

  it('refreshes cut mid-flight: every family is rotated or not, and a lost answer is recovered by presenting the old token again', async () => {
    await using p = await startProxiedWarden({
      statementTimeoutMs: 1000,
      connectionTimeoutMs: 1000,
      env: { REFRESH_REUSE_INTERVAL: '10' },
    })
    const { t } = p
    const sessions: Tokens[] = []
    for (let i = 0; i < 16; i += 1) sessions.push(await t.signUp(`user${i}@example.com`))

    // Hold PostgreSQL's answers back so the statements commit, then cut before the answers
    // arrive: the classic lost response.
    p.proxy.delay(600, { onlyToClient: true })
    const inFlight = Promise.all(
      sessions.map((session) => t.call('auth.refresh', { refreshToken: session.refreshToken })),
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    p.proxy.cut()
    const answers = await inFlight
    for (const answer of answers) expect([200, 503]).toContain(answer.status)
    p.proxy.restore()
    await vi.waitFor(
      async () => {
        expect((await t.request('/health/ready')).status).toBe(200)
      },
      { timeout: 5000, interval: 50 },
    )

    // What the database says: rotated or not, never half; nothing revoked.
    const before = await auditFamilies(p.direct.kysely, new Date(t.clock.now()))
    expect(familyProblems(before)).toEqual([])
    const rotatedFamilies = [...before.values()].filter((state) => state.tokens === 2).length
    const lostAnswers = rotatedFamilies - answers.filter((answer) => answer.status === 200).length
    expect(lostAnswers, 'rotations committed whose answer never arrived').toBeGreaterThan(0)

    // Every client carries on: with the new token, or with the old one if its answer was lost.
    for (const [index, answer] of answers.entries()) {
      const session = sessions[index]!
      const token =
        answer.status === 200 ? (answer.data as Tokens).refreshToken : session.refreshToken
      const retried = await t.call('auth.refresh', { refreshToken: token })
      expect(retried.status, `client ${index} (${answer.status})`).toBe(200)
    }
    const after = await auditFamilies(p.direct.kysely, new Date(t.clock.now()))
    expect(familyProblems(after)).toEqual([])
    expect([...after.values()].filter((state) => state.revokedAt !== null)).toEqual([])
  }, 60_000)
})
