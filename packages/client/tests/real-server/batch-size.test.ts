import { beforeAll, describe, expect, test } from 'vitest'

import type { AppRouter } from '@warden/api'
import { MAX_BATCH_SIZE } from '@warden/server'

import { createServiceClient } from '../../src/index.ts'
import { DEFAULT_MAX_BATCH_ITEMS } from '../../src/internal/batch-limits.ts'
import { signedInClient } from './clients.ts'
import { prepareRealWarden, startRealWarden } from './real-warden.ts'

beforeAll(prepareRealWarden)

// Regression, issue 5: with tRPC's unlimited default, 51 concurrent calls made one batch the
// real server refuses whole (400 "Batch call exceeds maximum size").
describe('issue 5: client batches fit the server batch limit', () => {
  test('the default is the server limit', () => {
    expect(DEFAULT_MAX_BATCH_ITEMS).toBe(MAX_BATCH_SIZE)
  })

  test('a user client: 3 × MAX_BATCH_SIZE + 1 concurrent calls, in batches the server takes', async () => {
    await using target = await startRealWarden()
    const { warden } = await signedInClient(target)
    const count = 3 * MAX_BATCH_SIZE + 1

    const results = await Promise.all(
      Array.from({ length: count }, () => warden.api.system.whoami.query()),
    )

    expect(results).toHaveLength(count)
    expect(target.traffic.requestsFor('system.whoami')).toBe(4)
    expect(target.loggedRequests().filter((entry) => entry.status !== 200)).toEqual([])
  })

  test('a service client likewise', async () => {
    await using target = await startRealWarden()
    const credentials = await target.createServiceClient({
      clientId: 'monitor',
      audiences: [target.audience],
    })
    const service = createServiceClient<AppRouter>({
      url: target.url,
      tokenUrl: target.tokenUrl,
      ...credentials,
      audience: target.audience,
    })

    const results = await Promise.all(
      Array.from({ length: MAX_BATCH_SIZE + 1 }, () => service.api.system.whoami.query()),
    )

    expect(new Set(results.map((whoami) => whoami.sub))).toEqual(new Set(['monitor']))
    expect(target.traffic.requestsFor('system.whoami')).toBe(2)
    expect(target.traffic.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(1)
  })
})
