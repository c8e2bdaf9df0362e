/*
 * Account enumeration by timing: with the real argon2id parameters, a login for an unknown
 * email and one with a wrong password for a real account must take the same time, so that the
 * answer time does not tell whether an account exists. Both kinds are interleaved (A B B A …)
 * so that load from other processes falls on both alike; each attempt comes from its own
 * X-Forwarded-For address and the clock moves past the throttling window between attempts, so
 * that no attempt is throttled (a 429 would be answered without hashing).
 *
 * | case                               | status | code                | timing                         |
 * |------------------------------------|--------|---------------------|--------------------------------|
 * | unknown email (50 tries)           | 401    | invalid_credentials | medians differ by less than    |
 * | wrong password, real account (50)  | 401    | invalid_credentials | 10% of the smaller median      |
 */
import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { startTestWarden, type TestWarden } from '../harness.ts'

const TRIES = 50
const WINDOW_MS = 15 * 60 * 1000

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2
}

let address = 0
async function timedLogin(t: TestWarden, email: string) {
  address += 1
  t.clock.advance(WINDOW_MS + 1000)
  const started = performance.now()
  const result = await t.call(
    'auth.login',
    { email, password: 'not the password, but long enough' },
    { headers: { 'x-forwarded-for': `198.18.${(address >> 8) & 255}.${address & 255}` } },
  )
  const elapsed = performance.now() - started
  expect(result.status).toBe(401)
  expect(result.error?.data.authError).toBe('invalid_credentials')
  return { elapsed, message: result.error?.message }
}

describe.each(testBackends())('login timing on %s', (backend) => {
  it('an unknown email and a wrong password take the same time (real argon2id)', async () => {
    await using t = await startTestWarden({
      backend,
      realPasswords: true,
      env: { TRUST_PROXY: 'true' },
    })
    await t.register('ada@example.com')
    const known = 'ada@example.com'
    const unknown = (i: number) => `nobody-${i}@example.com`

    // Warm-up: the dummy hash is created on the first unknown-account attempt.
    for (let i = 0; i < 3; i += 1) {
      await timedLogin(t, unknown(-i - 1))
      await timedLogin(t, known)
    }

    const unknownTimes: number[] = []
    const wrongTimes: number[] = []
    const messages = new Set<string | undefined>()
    for (let i = 0; i < TRIES; i += 1) {
      const order = i % 2 === 0 ? ['unknown', 'wrong'] : ['wrong', 'unknown']
      for (const kind of order) {
        const { elapsed, message } = await timedLogin(t, kind === 'unknown' ? unknown(i) : known)
        ;(kind === 'unknown' ? unknownTimes : wrongTimes).push(elapsed)
        messages.add(message)
      }
    }
    expect(messages.size).toBe(1)
    const a = median(unknownTimes)
    const b = median(wrongTimes)
    const difference = Math.abs(a - b) / Math.min(a, b)
    expect(
      difference,
      `medians: unknown ${a.toFixed(1)} ms, wrong password ${b.toFixed(1)} ms`,
    ).toBeLessThan(0.1)
    // The comparison means something only if argon2id actually ran: real parameters cost
    // milliseconds, not microseconds.
    expect(Math.min(a, b)).toBeGreaterThan(5)
  }, 120_000)
})
