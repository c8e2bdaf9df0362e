import { describe, expect, it } from 'vitest'

import { createInternTable } from './intern-table.ts'

describe('createInternTable', () => {
  it('builds a value once per key and hands out that same value', () => {
    const intern = createInternTable<readonly string[]>(4)
    let built = 0
    const make = (key: string) => () => {
      built++
      return Object.freeze(key.split(','))
    }
    const first = intern('a,b', make('a,b'))
    expect(intern('a,b', make('a,b'))).toBe(first)
    expect(first).toEqual(['a', 'b'])
    expect(intern('c', make('c'))).toEqual(['c'])
    expect(built).toBe(2)
  })

  it('past its capacity, builds a value per call and keeps what it already shares', () => {
    const intern = createInternTable<object>(1)
    const kept = intern('kept', () => ({}))
    const extra = intern('extra', () => ({}))
    expect(intern('extra', () => ({}))).not.toBe(extra)
    expect(intern('kept', () => ({}))).toBe(kept)
  })
})
