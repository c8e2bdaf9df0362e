/*
 * A login storm must not starve the requests that need no password hashing: 200 concurrent
 * logins with the real argon2id parameters, each from its own address (so the per-IP queue
 * does not turn them away), while one client keeps calling system.whoami.
 *
 * | measure                                          | expected                                    |
 * |--------------------------------------------------|---------------------------------------------|
 * | p99 of system.whoami during two storms           | at most 3 × its p99 at rest (+1 ms of slack |
 * |                                                  | for sub-millisecond baselines); one retry   |
 * |                                                  | of the whole measurement if the machine is  |
 * |                                                  | busy with other suites                      |
 * | each login                                       | 200, or 503 overloaded / 429 rate_limited   |
 * | a refused login (503/429)                        | answered within 5 s, with Retry-After        |
 * | the slowest login                                | within 20 s (the hasher's queue is bounded)  |
 */
import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { startTestWarden, type TestWarden } from '../harness.ts'

const STORM = 200
const REST_MS = 2000
const ROUNDS = 2

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN
}

async function whoamiOnce(t: TestWarden, token: string): Promise<number> {
  const started = performance.now()
  const result = await t.request('/trpc/system.whoami', {
    headers: { authorization: `Bearer ${token}` },
  })
  await result.arrayBuffer()
  const elapsed = performance.now() - started
  expect(result.status).toBe(200)
  return elapsed
}

/** Calls whoami back to back, yielding between calls, until `done()`; returns the latencies. */
async function sample(t: TestWarden, token: string, done: () => boolean): Promise<number[]> {
  const latencies: number[] = []
  while (!done()) {
    latencies.push(await whoamiOnce(t, token))
    // Yield between samples, as independent clients would.
    await new Promise((resolve) => setImmediate(resolve))
  }
  return latencies
}

/** One storm of `STORM` logins, each from its own address; whoami is sampled until it ends. */
async function storm(t: TestWarden, token: string, round: number) {
  let storming = true
  const started = performance.now()
  const logins = Promise.all(
    Array.from({ length: STORM }, async (_, index) => {
      const begun = performance.now()
      const result = await t.call(
        'auth.login',
        { email: 'ada@example.com', password: 'correct horse battery staple' },
        { headers: { 'x-forwarded-for': `10.${round}.${index >> 8}.${index & 255}` } },
      )
      return { result, ms: performance.now() - begun }
    }),
  ).finally(() => {
    storming = false
  })
  const during = await sample(t, token, () => !storming)
  return { during, logins: await logins, stormMs: performance.now() - started }
}

/**
 * Rest and storm alternate (rest, storm, rest, storm) and their samples are pooled, so that load
 * from other processes, which comes and goes, falls on both sides alike.
 */
async function measure(t: TestWarden, token: string, attempt: number) {
  const rest: number[] = []
  const during: number[] = []
  const logins: Awaited<ReturnType<typeof storm>>['logins'] = []
  let stormMs = 0
  for (let round = 0; round < ROUNDS; round += 1) {
    // At rest over a few seconds, with the same loop as during the storm: a p99 taken over a
    // few milliseconds would miss the GC pauses and scheduling hiccups the storm's p99 includes.
    const restUntil = performance.now() + REST_MS
    rest.push(...(await sample(t, token, () => performance.now() >= restUntil)))
    const outcome = await storm(t, token, attempt * ROUNDS + round)
    during.push(...outcome.during)
    logins.push(...outcome.logins)
    stormMs = Math.max(stormMs, outcome.stormMs)
  }
  return { rest, during, logins, stormMs }
}

describe.each(testBackends())('login storm on %s', (backend) => {
  it('200 concurrent logins (real argon2id) do not starve system.whoami', async () => {
    await using t = await startTestWarden({
      backend,
      realPasswords: true,
      env: { TRUST_PROXY: 'true' },
    })
    const { accessToken } = await t.signUp('ada@example.com')
    // Warm-up: the code paths of whoami and of a login (and the dummy hash) are compiled and
    // cached before anything is measured.
    for (let i = 0; i < 50; i += 1) await whoamiOnce(t, accessToken)
    await storm(t, accessToken, 100)

    let outcome = await measure(t, accessToken, 1)
    const bound = (rest: number[]) => 3 * percentile(rest, 99) + 1
    if (percentile(outcome.during, 99) > bound(outcome.rest)) {
      // The machine runs other suites on 2 cores: measure once more before judging.
      outcome = await measure(t, accessToken, 2)
    }
    const { rest, during, logins } = outcome
    const summary = `whoami p50/p99 at rest ${percentile(rest, 50).toFixed(2)}/${percentile(rest, 99).toFixed(2)} ms, during ${percentile(during, 50).toFixed(2)}/${percentile(during, 99).toFixed(2)} ms (${during.length} samples); storm ${Math.round(outcome.stormMs)} ms; logins ${JSON.stringify(countBy(logins.map((login) => login.result.status)))}`
    expect(during.length, summary).toBeGreaterThan(100)
    expect(percentile(during, 99), summary).toBeLessThanOrEqual(bound(rest))

    for (const { result, ms } of logins) {
      expect([200, 429, 503], summary).toContain(result.status)
      if (result.status !== 200) {
        expect(['overloaded', 'rate_limited']).toContain(result.error?.data.authError)
        expect(Number(result.response.headers.get('retry-after'))).toBeGreaterThan(0)
        // Refused before hashing; the time is the wait for the database's first two queries
        // behind 199 other logins (about 1 s on a quiet machine), far from any client time-out.
        expect(ms, summary).toBeLessThan(5000)
      }
      expect(ms, summary).toBeLessThan(20_000)
    }
    expect(logins.filter((login) => login.result.status === 200).length).toBeGreaterThan(0)
  }, 120_000)
})

function countBy(values: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
