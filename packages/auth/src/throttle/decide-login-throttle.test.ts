import { describe, expect, it } from 'vitest'

import { decideLoginThrottle } from '../index.ts'

const NOW = 1_750_000_000_000
const MIN = 60_000
const WINDOW = 15 * MIN

const times = (count: number, last: number, step = 1000) =>
  Array.from({ length: count }, (_, i) => last - (count - 1 - i) * step)

const decide = (
  input: { pair?: number[]; account?: number[]; ip?: number[]; now?: number },
  options = {},
) =>
  decideLoginThrottle(
    {
      now: input.now ?? NOW,
      pairFailures: input.pair ?? [],
      accountFailures: input.account ?? input.pair ?? [],
      ipFailures: input.ip ?? input.pair ?? [],
    },
    options,
  )

describe('decideLoginThrottle', () => {
  it('allows without failures', () => {
    expect(decide({})).toEqual({ allowed: true })
  })

  describe('pair (account + IP)', () => {
    it('allows 4 failures and blocks at 5 until the 5th-latest leaves the window', () => {
      const four = times(4, NOW - 10 * MIN)
      expect(decide({ pair: four, account: [], ip: [] })).toEqual({ allowed: true })
      const five = times(5, NOW - 10 * MIN)
      // The oldest of the five is at NOW - 10 min - 4 s; it leaves at NOW + 5 min - 4 s.
      expect(decide({ pair: five, account: [], ip: [] })).toEqual({
        allowed: false,
        retryAfter: 296,
        scope: 'pair',
      })
    })

    it('lifts the block exactly when the 5th-latest failure leaves the window', () => {
      const pair = times(5, NOW, MIN)
      const leaves = pair[0]! + WINDOW
      expect(decide({ pair, account: [], ip: [], now: leaves - 1 })).toEqual({
        allowed: false,
        retryAfter: 1,
        scope: 'pair',
      })
      expect(decide({ pair, account: [], ip: [], now: leaves })).toEqual({ allowed: true })
    })

    it('counts from the 5th-latest, not the oldest, when there are more', () => {
      const pair = [...times(3, NOW - 14 * MIN), ...times(5, NOW - MIN, 1000)]
      expect(decide({ pair, account: [], ip: [] })).toMatchObject({
        allowed: false,
        scope: 'pair',
        retryAfter: 14 * 60 - 4,
      })
    })

    it('ignores failures outside the window', () => {
      expect(decide({ pair: times(5, NOW - WINDOW), account: [], ip: [] })).toEqual({
        allowed: true,
      })
    })
  })

  describe('account (any IP), exponential back-off from the last failure', () => {
    it.each([
      [5, 1],
      [6, 2],
      [7, 4],
      [10, 32],
      [14, 512],
      [15, 900],
      [40, 900],
    ])('%i failures: %i s after the last', (count, seconds) => {
      const account = times(count, NOW, 10)
      expect(decide({ pair: [], account, ip: [] })).toEqual({
        allowed: false,
        retryAfter: seconds,
        scope: 'account',
      })
      // A second before the end all failures are still in the window (at the 15-minute cap the
      // oldest leave it just before the back-off ends, which only shortens the block).
      expect(decide({ pair: [], account, ip: [], now: NOW + seconds * 1000 - 1000 })).toMatchObject(
        { allowed: false, retryAfter: 1 },
      )
      expect(decide({ pair: [], account, ip: [], now: NOW + seconds * 1000 })).toEqual({
        allowed: true,
      })
    })

    it('allows 4 failures', () => {
      expect(decide({ pair: [], account: times(4, NOW), ip: [] })).toEqual({ allowed: true })
    })
  })

  describe('IP (any account)', () => {
    it('allows 99 failures and blocks at 100 until the 100th-latest leaves', () => {
      expect(decide({ pair: [], account: [], ip: times(99, NOW, 100) })).toEqual({ allowed: true })
      const ip = times(100, NOW, 100)
      const leaves = ip[0]! + WINDOW
      expect(decide({ pair: [], account: [], ip })).toEqual({
        allowed: false,
        retryAfter: Math.ceil((leaves - NOW) / 1000),
        scope: 'ip',
      })
      expect(decide({ pair: [], account: [], ip, now: leaves - 1 })).toMatchObject({
        allowed: false,
        scope: 'ip',
        retryAfter: 1,
      })
      expect(decide({ pair: [], account: [], ip, now: leaves })).toEqual({ allowed: true })
    })
  })

  it('returns the longest block', () => {
    const pair = times(5, NOW - 14 * MIN)
    const ip = times(100, NOW - 5 * MIN, 10)
    expect(decide({ pair, account: times(6, NOW), ip })).toEqual({
      allowed: false,
      scope: 'ip',
      retryAfter: 600,
    })
    expect(decide({ pair, account: times(20, NOW, 1), ip })).toEqual({
      allowed: false,
      scope: 'account',
      retryAfter: 900,
    })
    expect(decide({ pair: times(5, NOW - MIN), account: times(7, NOW), ip: [] })).toEqual({
      allowed: false,
      scope: 'pair',
      retryAfter: 14 * 60 - 4,
    })
  })

  it('rounds a retry up to whole seconds, at least 1', () => {
    const account = times(5, NOW - 999, 1)
    expect(decide({ pair: [], account, ip: [] })).toEqual({
      allowed: false,
      retryAfter: 1,
      scope: 'account',
    })
  })

  it('takes its numbers from the options', () => {
    const options = {
      windowMs: MIN,
      pairLimit: 2,
      accountThreshold: 3,
      accountBaseDelayMs: 10_000,
      accountMaxDelayMs: 20_000,
      ipLimit: 3,
    }
    expect(decide({ pair: times(2, NOW), account: [], ip: [] }, options)).toMatchObject({
      scope: 'pair',
      retryAfter: 59,
    })
    expect(decide({ pair: [], account: times(4, NOW), ip: [] }, options)).toMatchObject({
      scope: 'account',
      retryAfter: 20,
    })
    expect(decide({ pair: [], account: times(3, NOW), ip: [] }, options)).toMatchObject({
      scope: 'account',
      retryAfter: 10,
    })
    expect(decide({ pair: [], account: [], ip: times(3, NOW) }, options)).toMatchObject({
      scope: 'ip',
      retryAfter: 58,
    })
  })

  it.each([
    ['a zero window', { windowMs: 0 }],
    ['a fractional limit', { pairLimit: 1.5 }],
    ['a negative delay', { accountBaseDelayMs: -1 }],
  ])('refuses %s with a TypeError', (_, options) => {
    expect(() => decide({}, options)).toThrow(TypeError)
  })
})
