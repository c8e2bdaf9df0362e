import { describe, expect, it } from 'vitest'

import { alternate, median, medians, round } from './stats.ts'

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([7])).toBe(7)
  })

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(RangeError)
  })
})

describe('alternate', () => {
  it('runs every side once per round, rotating the order each round', async () => {
    const order: string[] = []
    const samples = await alternate(['a', 'b', 'c'], 3, (side, round) => {
      order.push(side)
      return Promise.resolve(round)
    })
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b'])
    expect(samples).toEqual({ a: [0, 1, 2], b: [0, 1, 2], c: [0, 1, 2] })
    expect(medians(samples)).toEqual({ a: 1, b: 1, c: 1 })
  })
})

describe('round', () => {
  it('keeps the given number of decimals', () => {
    expect(round(0.123_456)).toBe(0.123)
    expect(round(12.349, 1)).toBe(12.3)
  })
})
