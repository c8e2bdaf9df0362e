import { afterEach, describe, expect, test, vi } from 'vitest'

import { createWardenClient, type WardenClientOptions } from '../src/index.ts'
import { createAccount, nextSessionChange } from './harness/clients.ts'
import { createFakeTimers, createManualClock } from './harness/fake-time.ts'
import {
  SERVER_START,
  startTarget,
  type TargetRouter,
  type WardenTarget,
} from './harness/target.ts'

const HOUR = 3600_000

afterEach(() => {
  vi.restoreAllMocks()
})

/**
 * A bearer client whose device clock is `skewMs` off the server's, with fake timers on the
 * device clock. `advance` moves both clocks together, as real time would.
 */
async function skewedClient(
  target: WardenTarget,
  skewMs: number,
  options: Partial<WardenClientOptions<TargetRouter>> = {},
) {
  const device = createManualClock(target.clock.now() + skewMs)
  const timers = createFakeTimers(device)
  const warden = createWardenClient<TargetRouter>({
    url: target.url,
    transport: 'bearer',
    clock: device,
    timers,
    proactiveRefresh: { beforeExpiryMs: 60_000, jitterMs: 0 },
    ...options,
  })
  await warden.login(await createAccount(target))
  const advance = (ms: number) => {
    target.clock.advance(ms)
    timers.advance(ms)
  }
  return { warden, timers, device, advance }
}

describe('proactive refresh', () => {
  test.each([
    ['two hours ahead', 2 * HOUR],
    ['three days behind', -72 * HOUR],
    ['in sync', 0],
  ])(
    'device clock %s: fires beforeExpiryMs before expiry by the server clock',
    async (_case, skew) => {
      await using target = await startTarget()
      const { warden, device, advance } = await skewedClient(target, skew)

      // The session's expiry is on the device clock, whatever the skew.
      expect(warden.session.expiresAt).toBe(device.now() + target.accessTokenTtlMs)

      advance(target.accessTokenTtlMs - 60_000 - 1)
      expect(target.traffic.calls('auth.refresh')).toBe(0)

      const refreshed = nextSessionChange(warden)
      advance(1)
      await refreshed
      expect(target.traffic.calls('auth.refresh')).toBe(1)
      // No call ever met an expired token.
      await warden.api.system.whoami.query()
      expect(target.traffic.calls('system.whoami')).toBe(1)
    },
  )

  test('the next refresh is scheduled from the new token', async () => {
    await using target = await startTarget()
    const { warden, timers, advance } = await skewedClient(target, HOUR)

    for (let round = 1; round <= 3; round++) {
      const refreshed = nextSessionChange(warden)
      advance(target.accessTokenTtlMs - 60_000)
      await refreshed
      expect(target.traffic.calls('auth.refresh')).toBe(round)
      expect(timers.pending()).toHaveLength(1)
    }
  })

  test('jitter moves the refresh earlier by a random share of jitterMs', async () => {
    await using target = await startTarget()
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    const { warden, advance } = await skewedClient(target, 0, {
      proactiveRefresh: { beforeExpiryMs: 60_000, jitterMs: 10_000 },
    })

    advance(target.accessTokenTtlMs - 65_000 - 1)
    expect(target.traffic.calls('auth.refresh')).toBe(0)
    const refreshed = nextSessionChange(warden)
    advance(1)
    await refreshed
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('a token shorter-lived than the lead is refreshed half-way, not in a loop', async () => {
    await using target = await startTarget({ accessTokenTtlMs: 30_000 })
    const { warden, advance } = await skewedClient(target, 0)

    for (let round = 1; round <= 4; round++) {
      const refreshed = nextSessionChange(warden)
      advance(15_000)
      await refreshed
    }
    expect(target.traffic.calls('auth.refresh')).toBe(4)
  })

  test('a later Date header that moves the offset reschedules the refresh', async () => {
    await using target = await startTarget()
    const { warden, timers, advance } = await skewedClient(target, 0)
    // The device slept: ten server minutes passed, the device's timers and clock saw none.
    target.clock.advance(10 * 60_000)
    await warden.api.system.whoami.query()

    advance(5 * 60_000 - 60_000 - 1)
    expect(target.traffic.calls('auth.refresh')).toBe(0)
    const refreshed = nextSessionChange(warden)
    advance(1)
    await refreshed
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(timers.pending()).toHaveLength(1)
  })

  test('a transient failure is retried later; the session is kept', async () => {
    await using target = await startTarget()
    const { warden, timers, advance } = await skewedClient(target, 0)
    const remove = target.addFault({
      matches: (r) => r.procedures.includes('auth.refresh'),
      respond: () => new Response('unavailable', { status: 503 }),
    })

    advance(target.accessTokenTtlMs - 60_000)
    await vi.waitFor(() => {
      expect(timers.pending()).toHaveLength(1)
    })
    expect(warden.session.isAuthenticated).toBe(true)
    remove()
    // Half of the remaining minute later.
    const refreshed = nextSessionChange(warden)
    advance(30_000)
    await refreshed
    expect(target.traffic.calls('auth.refresh')).toBe(2)
  })

  test('logout and close cancel the timer', async () => {
    await using target = await startTarget()
    const first = await skewedClient(target, 0)
    const second = await skewedClient(target, 0)
    expect(first.timers.pending()).toHaveLength(1)

    await first.warden.logout()
    second.warden.close()

    expect(first.timers.pending()).toHaveLength(0)
    expect(second.timers.pending()).toHaveLength(0)
    first.advance(2 * target.accessTokenTtlMs)
    second.timers.advance(2 * target.accessTokenTtlMs)
    expect(target.traffic.calls('auth.refresh')).toBe(0)
  })

  test('off by default: no timer at all', async () => {
    await using target = await startTarget()
    const timers = createFakeTimers(createManualClock(SERVER_START))
    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      timers,
    })

    await warden.login(await createAccount(target))

    expect(timers.pending()).toHaveLength(0)
  })
})
