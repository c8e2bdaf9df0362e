/*
 * Service-client enumeration by timing: at POST /oauth/token, an unknown client id and a known
 * client with a wrong secret must take the same time, so that the answer time does not tell
 * which client ids exist. The work is checked exactly in `tests/oauth/client-credentials.test.ts`
 * (one argon2id verification each, the unknown id's against the dummy hash); this file checks
 * the clock, with the real argon2id parameters, as `login-timing.test.ts` does for users (pairs
 * of attempts, see `paired-timing.ts`). It runs after the server's other test files (see
 * `vitest.config.ts`), so that it measures Warden and not its neighbours.
 *
 * The manual clock moves a minute between attempts, past the per-client rate limit's refill, so
 * that no attempt is throttled (a 429 would be answered without hashing).
 *
 * | case                              | status | error          | same time                     |
 * |-----------------------------------|--------|----------------|-------------------------------|
 * | unknown client id                 | 401    | invalid_client | median pair difference < 10 % |
 * | known client, wrong secret        | 401    | invalid_client | of the median attempt         |
 */
import { describe, expect, it } from 'vitest'

import { createPasswordHasher } from '@warden/auth'
import { testBackends } from '@warden/db/testing'

import { startSocketWarden, type SocketWarden } from '../oauth/socket-warden.ts'
import { expectSameTime } from './paired-timing.ts'

async function refusedClient(w: SocketWarden, id: string) {
  w.clock.advance(60_000)
  const answer = await w.token({ grant_type: 'client_credentials' }, { basic: [id, 'wrong'] })
  expect(answer.status).toBe(401)
  expect(answer.json['error']).toBe('invalid_client')
  return answer.json['error_description']
}

describe.each(testBackends())('client authentication timing on %s', (backend) => {
  it('an unknown client and a wrong secret take the same time (real argon2id)', async () => {
    await using w = await startSocketWarden({ backend, passwords: createPasswordHasher() })
    await w.createClient({ id: 'reports', audiences: ['warden-api'] })
    const descriptions = new Set<unknown>()
    const attempt = async (id: string) => descriptions.add(await refusedClient(w, id))
    // The warm-up also creates the dummy hash, on the first unknown-client attempt.
    await expectSameTime({
      what: 'unknown client − wrong secret',
      pairs: 50,
      warmup: 3,
      probe: (index) => attempt(`nobody-${index}`),
      reference: () => attempt('reports'),
    })
    expect(descriptions.size).toBe(1)
  }, 120_000)
})
