import { describe, expect, it } from 'vitest'

import { nextTokenTimes, NO_TOKEN } from './token-times.ts'

const signedIn = (expiresAt: number) => ({ isAuthenticated: true, expiresAt })
const signedOut = { isAuthenticated: false, expiresAt: null }

describe('nextTokenTimes', () => {
  it('a sign-in starts the session without counting a refresh', () => {
    const times = nextTokenTimes(NO_TOKEN, signedIn(10_000), { now: 1000, restoring: false })
    expect(times).toEqual({ expiresAt: 10_000, since: 1000, lastRefreshAt: null, refreshes: 0 })
  })

  it('a restore from the cookie is a refresh', () => {
    const times = nextTokenTimes(NO_TOKEN, signedIn(10_000), { now: 1000, restoring: true })
    expect(times).toEqual({ expiresAt: 10_000, since: 1000, lastRefreshAt: 1000, refreshes: 1 })
  })

  it('a new expiry is a refresh; the same one changes nothing', () => {
    const start = nextTokenTimes(NO_TOKEN, signedIn(10_000), { now: 1000, restoring: false })
    const same = nextTokenTimes(start, signedIn(10_000), { now: 2000, restoring: false })
    expect(same).toBe(start)
    const refreshed = nextTokenTimes(same, signedIn(20_000), { now: 11_000, restoring: false })
    expect(refreshed).toEqual({
      expiresAt: 20_000,
      since: 1000,
      lastRefreshAt: 11_000,
      refreshes: 1,
    })
    const again = nextTokenTimes(refreshed, signedIn(30_000), { now: 21_000, restoring: false })
    expect(again).toMatchObject({ lastRefreshAt: 21_000, refreshes: 2, since: 1000 })
  })

  it('signing out clears everything', () => {
    const start = nextTokenTimes(NO_TOKEN, signedIn(10_000), { now: 1000, restoring: false })
    expect(nextTokenTimes(start, signedOut, { now: 2000, restoring: false })).toBe(NO_TOKEN)
  })
})
