/*
 * Account enumeration by timing: a login for an unknown email and one with a wrong password for
 * a real account must take the same time, so that the answer time does not tell whether an
 * account exists. Two tests, one of the work and one of the clock:
 *
 * - The work, exactly: both cases send the same SQL statements in the same order, and make one
 *   argon2id verification each (the unknown account's against the dummy hash, made with the
 *   same parameters). Deterministic, whatever the machine's load.
 * - The clock, with the real argon2id parameters: attempts come in pairs, one of each kind
 *   next to each other in time (their order alternating), and the median of the pairs'
 *   differences must be under 10 % of the median attempt (`paired-timing.ts`). Pairing cancels
 *   load from other processes that comes and goes over seconds; this file also runs after the
 *   server's other test files (see `vitest.config.ts`), so that it measures Warden and not its
 *   neighbours.
 *   Each attempt comes from its own X-Forwarded-For address and the clock moves past the
 *   throttling window between attempts, so that no attempt is throttled (a 429 would be
 *   answered without hashing).
 *
 * | case                               | status | code                | same work, same time          |
 * |------------------------------------|--------|---------------------|-------------------------------|
 * | unknown email                      | 401    | invalid_credentials | statements and hashing equal; |
 * | wrong password, real account       | 401    | invalid_credentials | median pair difference < 10 % |
 */
import { describe, expect, it } from 'vitest'

import type { PasswordHasher } from '@warden/auth'
import { createTestDatabase, testBackends } from '@warden/db/testing'

import { startTestWarden, testPasswords, type TestWarden } from '../harness.ts'
import { expectSameTime } from './paired-timing.ts'

const PAIRS = 50
const WINDOW_MS = 15 * 60 * 1000

let address = 0
async function failedLogin(t: TestWarden, email: string) {
  address += 1
  t.clock.advance(WINDOW_MS + 1000)
  const result = await t.call(
    'auth.login',
    { email, password: 'not the password, but long enough' },
    { headers: { 'x-forwarded-for': `198.18.${(address >> 8) & 255}.${address & 255}` } },
  )
  expect(result.status).toBe(401)
  expect(result.error?.data.authError).toBe('invalid_credentials')
  return result.error?.message
}

describe.each(testBackends())('login timing on %s', (backend) => {
  it('an unknown email and a wrong password do the same work', async () => {
    // The text of every statement the database answers, in order.
    const statements: string[] = []
    await using database = await createTestDatabase(backend, {
      onQuery: (sql) => statements.push(sql),
    })
    const hashing: string[] = []
    const inner = testPasswords()
    const passwords: PasswordHasher = {
      hash: (password) => inner.hash(password),
      verify: (hash, password) => (hashing.push('verify'), inner.verify(hash, password)),
      verifyDummy: (password) => (hashing.push('verifyDummy'), inner.verifyDummy(password)),
      admit: (task) => inner.admit(task),
    }
    await using t = await startTestWarden({
      backend,
      database,
      passwords,
      env: { TRUST_PROXY: 'true' },
    })
    await t.register('ada@example.com')
    const workOf = async (email: string) => {
      statements.length = 0
      hashing.length = 0
      await failedLogin(t, email)
      return { statements: [...statements], hashing: [...hashing] }
    }

    for (const order of [
      ['nobody-1@example.com', 'ada@example.com'],
      ['ada@example.com', 'nobody-2@example.com'],
    ] as const) {
      const [first, second] = [await workOf(order[0]), await workOf(order[1])]
      const [unknown, wrong] = order[0] === 'ada@example.com' ? [second, first] : [first, second]
      // At least the read (recent failures and the account, in one statement) and the outcome.
      expect(unknown.statements.length).toBeGreaterThanOrEqual(2)
      expect(unknown.statements).toEqual(wrong.statements)
      expect(unknown.hashing).toEqual(['verifyDummy'])
      expect(wrong.hashing).toEqual(['verify'])
    }
  })

  it('an unknown email and a wrong password take the same time (real argon2id)', async () => {
    await using t = await startTestWarden({
      backend,
      realPasswords: true,
      env: { TRUST_PROXY: 'true' },
    })
    await t.register('ada@example.com')
    const messages = new Set<string | undefined>()
    const attempt = async (email: string) => messages.add(await failedLogin(t, email))
    // The warm-up also creates the dummy hash, on the first unknown-account attempt.
    await expectSameTime({
      what: 'unknown email − wrong password',
      pairs: PAIRS,
      warmup: 3,
      probe: (index) => attempt(`nobody-${index}@example.com`),
      reference: () => attempt('ada@example.com'),
    })
    expect(messages.size).toBe(1)
  }, 120_000)
})
