/*
 * The client keeps expiry on the server's clock, learnt from `Date` headers. The real server
 * stamps `Date` from its injected clock, so under a manual clock the client's estimate and the
 * tokens' `exp` agree however wrong the device clock is.
 */
import { beforeAll, describe, expect, test } from 'vitest'

import { memoryStorage } from '../../src/index.ts'
import { createFakeTimers, createManualClock } from '../harness/fake-time.ts'
import { signedInClient } from './clients.ts'
import { prepareRealWarden, REAL_START, startRealWarden } from './real-warden.ts'

beforeAll(prepareRealWarden)

// A device clock years behind the server's.
const DEVICE_START = Date.UTC(2024, 5, 1, 8, 30, 0)

function expOf(accessToken: string): number {
  const payload = accessToken.split('.')[1] ?? ''
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number }
  return claims.exp * 1000
}

describe("the client's estimate of the real server's clock", () => {
  test("a stored expiry is the token's exp on the server's clock, within the Date resolution", async () => {
    await using target = await startRealWarden()
    const storage = memoryStorage()
    await signedInClient(target, { storage, clock: createManualClock(DEVICE_START) })

    const stored = await storage.get()

    expect(stored).not.toBeNull()
    expect(expOf(stored?.accessToken ?? '')).toBe(REAL_START + target.accessTokenTtlMs)
    // A Date header says the server's time lies within [Date, Date + 1 s).
    expect(
      Math.abs((stored?.expiresAt ?? 0) - (REAL_START + target.accessTokenTtlMs)),
    ).toBeLessThan(1000)
  })

  test("session.expiresAt, on the device's clock, follows the server's clock as Date reports it", async () => {
    await using target = await startRealWarden()
    const device = createManualClock(DEVICE_START)
    const { warden } = await signedInClient(target, { clock: device })
    expect(warden.session.expiresAt).toBe(DEVICE_START + target.accessTokenTtlMs)

    // The server's clock moves on, the device's does not (an NTP step on either side).
    target.clock.advance(30_000)
    await warden.api.system.info.query()

    expect(warden.session.expiresAt).toBe(DEVICE_START + target.accessTokenTtlMs - 30_000)
  })

  test('proactive refresh is rescheduled from the Date header and lands before exp', async () => {
    await using target = await startRealWarden()
    const device = createManualClock(DEVICE_START)
    const timers = createFakeTimers(device)
    const { warden } = await signedInClient(target, {
      clock: device,
      timers,
      proactiveRefresh: { beforeExpiryMs: 10_000, jitterMs: 0 },
    })
    expect(timers.pending()).toEqual([{ at: DEVICE_START + target.accessTokenTtlMs - 10_000 }])

    target.clock.advance(55_000)
    await warden.api.system.info.query()
    // 5 s left by the server's clock: the refresh is due in half of that, not in 50 s.
    expect(timers.pending()).toEqual([{ at: DEVICE_START + 2500 }])

    target.clock.advance(2500)
    const refreshed = new Promise<void>((resolve) => {
      const unsubscribe = warden.session.subscribe(() => {
        unsubscribe()
        resolve()
      })
    })
    timers.advance(2500)
    await refreshed

    expect(target.traffic.calls('auth.refresh')).toBe(1)
    await warden.api.system.whoami.query()
    // No call ever met an expired token.
    expect(target.loggedRequests().filter((entry) => entry.status !== 200)).toEqual([])
    expect(timers.pending()).toEqual([
      { at: DEVICE_START + 2500 + target.accessTokenTtlMs - 10_000 },
    ])
    warden.close()
    expect(timers.pending()).toEqual([])
  })
})
