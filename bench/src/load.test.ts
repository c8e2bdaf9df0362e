import { describe, expect, it } from 'vitest'

import { percentile } from './load.ts'

describe('percentile', () => {
  it('is the nearest-rank percentile of a sorted list', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 99)).toBe(99)
    expect(percentile(values, 100)).toBe(100)
    expect(percentile([5], 99)).toBe(5)
    expect(percentile([], 99)).toBeNaN()
  })
})
