import { describe, expect, it } from 'vitest'

import { figure, goalHolds } from './results.ts'

describe('figure', () => {
  it('holds when the value is on the right side of its target, bounds included', () => {
    expect(
      figure({ name: 'a', value: 0.9, unit: '×', target: { op: '>=', value: 0.9 } }).holds,
    ).toBe(true)
    expect(
      figure({ name: 'a', value: 0.89, unit: '×', target: { op: '>=', value: 0.9 } }).holds,
    ).toBe(false)
    expect(figure({ name: 'b', value: 3, unit: '×', target: { op: '<=', value: 3 } }).holds).toBe(
      true,
    )
    expect(figure({ name: 'b', value: 3.1, unit: '×', target: { op: '<=', value: 3 } }).holds).toBe(
      false,
    )
  })

  it('never lets a value that is not a number pass', () => {
    expect(
      figure({ name: 'c', value: Number.NaN, unit: '×', target: { op: '<=', value: 3 } }).holds,
    ).toBe(false)
  })

  it('has no verdict without a target', () => {
    expect(figure({ name: 'd', value: 1, unit: '×' }).holds).toBeUndefined()
  })
})

describe('goalHolds', () => {
  const ok = figure({ name: 'a', value: 1, unit: '×', target: { op: '>=', value: 0.9 } })
  const missed = figure({ name: 'b', value: 0.1, unit: '×', target: { op: '>=', value: 0.9 } })
  const info = figure({ name: 'c', value: 0.1, unit: '×' })

  it('needs every figure with a target to hold, and no error', () => {
    expect(goalHolds({ id: 'G', title: 't', figures: [ok, info], notes: [] })).toBe(true)
    expect(goalHolds({ id: 'G', title: 't', figures: [ok, missed], notes: [] })).toBe(false)
    expect(goalHolds({ id: 'G', title: 't', figures: [ok], notes: [], error: 'no bench' })).toBe(
      false,
    )
  })
})
