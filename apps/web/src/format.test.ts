import { describe, expect, it } from 'vitest'

import {
  describeUserAgent,
  formatClock,
  formatCountdown,
  formatMoney,
  MAX_AMOUNT_CENTS,
  parseAmount,
} from './format.ts'

describe('parseAmount', () => {
  it.each([
    ['12', 1200],
    ['12.5', 1250],
    ['12.05', 1205],
    ['0.01', 1],
    [' 99.50 ', 9950],
    ['1,234.56', 123_456],
    ['1000000000', 100_000_000_000],
  ])('%s is %i cents', (text, cents) => {
    expect(parseAmount(text)).toBe(cents)
  })

  it('is exact where floating point is not (0.29 * 100 = 28.999…)', () => {
    expect(parseAmount('0.29')).toBe(29)
    expect(parseAmount('1.15')).toBe(115)
  })

  it.each(['', '0', '0.00', '-5', '1.234', 'abc', '1e3', '12,34', '1,2345', '.5', '5.', 'NaN'])(
    'refuses %j',
    (text) => {
      expect(parseAmount(text)).toBeUndefined()
    },
  )

  it('refuses more than the server accepts', () => {
    expect(parseAmount('1000000000.01')).toBeUndefined()
    expect(parseAmount('99999999999999999999')).toBeUndefined()
    expect(MAX_AMOUNT_CENTS).toBe(1_000_000_000_00)
  })
})

describe('formatMoney', () => {
  it('formats cents as dollars', () => {
    expect(formatMoney(123_456, 'en-US')).toBe('$1,234.56')
    expect(formatMoney(5, 'en-US')).toBe('$0.05')
  })
})

describe('formatCountdown', () => {
  const now = 1_000_000
  it('counts minutes and seconds, rounding up a started second', () => {
    expect(formatCountdown(now + 245_000, now)).toBe('4:05')
    expect(formatCountdown(now + 1, now)).toBe('0:01')
    expect(formatCountdown(now + 900_000, now)).toBe('15:00')
  })
  it('shows hours past an hour', () => {
    expect(formatCountdown(now + 3_723_000, now)).toBe('1:02:03')
  })
  it('says expired at the boundary and after', () => {
    expect(formatCountdown(now, now)).toBe('expired')
    expect(formatCountdown(now - 5000, now)).toBe('expired')
  })
})

describe('formatClock', () => {
  it('gives a 24-hour time with seconds', () => {
    const at = new Date(2026, 10, 23, 14, 3, 27).getTime()
    expect(formatClock(at, 'en-GB')).toBe('14:03:27')
  })
})

describe('describeUserAgent', () => {
  it.each([
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
      'Chrome (headless) on Linux',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
      'Firefox on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
      'Safari on macOS',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
      'Edge on Windows',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    ['node', 'Node.js'],
    ['curl/8.5.0', 'curl'],
  ])('%s → %s', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected)
  })

  it('says unknown for nothing or nonsense', () => {
    expect(describeUserAgent(null)).toBe('Unknown device')
    expect(describeUserAgent('  ')).toBe('Unknown device')
    expect(describeUserAgent('<script>')).toBe('Unknown device')
  })
})
