import { describe, expect, it } from 'vitest'

import { isFrozenPlainData, serializeOncePerFrozenValue } from './frozen-json.ts'

function countingSerializer() {
  const calls = { count: 0 }
  const serialize = serializeOncePerFrozenValue((value) => {
    calls.count++
    return JSON.stringify(value)
  })
  return { calls, serialize }
}

describe('serializeOncePerFrozenValue', () => {
  it('serializes a deeply frozen value once and answers the same text after', () => {
    const { calls, serialize } = countingSerializer()
    const value = Object.freeze({ sub: 'u1', roles: Object.freeze(['member']), tenantId: null })
    const first = serialize(value)
    expect(serialize(value)).toBe(first)
    expect(serialize(value)).toBe(first)
    expect(calls.count).toBe(1)
    expect(JSON.parse(first)).toEqual({ sub: 'u1', roles: ['member'], tenantId: null })
  })

  it('serializes an equal but distinct value again (identity, not equality)', () => {
    const { calls, serialize } = countingSerializer()
    serialize(Object.freeze({ a: 1 }))
    serialize(Object.freeze({ a: 1 }))
    expect(calls.count).toBe(2)
  })

  it('serializes mutable values on every call, so a change shows', () => {
    const { calls, serialize } = countingSerializer()
    const value = { n: 1 }
    expect(serialize(value)).toBe('{"n":1}')
    value.n = 2
    expect(serialize(value)).toBe('{"n":2}')
    expect(calls.count).toBe(2)
  })

  it('serializes on every call a frozen value with a mutable inside', () => {
    const { serialize } = countingSerializer()
    const roles = ['member']
    const value = Object.freeze({ roles })
    expect(serialize(value)).toBe('{"roles":["member"]}')
    roles.push('admin')
    expect(serialize(value)).toBe('{"roles":["member","admin"]}')
  })

  it('serializes on every call a frozen value whose getter may answer differently', () => {
    const { serialize } = countingSerializer()
    let n = 1
    const value = Object.freeze({
      get n() {
        return n
      },
    })
    expect(serialize(value)).toBe('{"n":1}')
    n = 2
    expect(serialize(value)).toBe('{"n":2}')
  })

  it('passes primitives, null and undefined straight through', () => {
    const { calls, serialize } = countingSerializer()
    expect(serialize('a')).toBe('"a"')
    expect(serialize(null)).toBe('null')
    expect(serialize(undefined)).toBe(undefined)
    expect(calls.count).toBe(3)
  })
})

describe('isFrozenPlainData', () => {
  it.each([
    ['a string', 'x'],
    ['a number', 1],
    ['null', null],
    ['undefined', undefined],
    ['a frozen plain object', Object.freeze({ a: 1, b: 'x' })],
    ['a frozen array of frozen objects', Object.freeze([Object.freeze({ a: 1 })])],
    [
      'a frozen object without prototype',
      Object.freeze(Object.assign(Object.create(null), { a: 1 })),
    ],
  ])('accepts %s', (_, value) => {
    expect(isFrozenPlainData(value)).toBe(true)
  })

  it.each([
    ['a mutable object', { a: 1 }],
    ['a frozen object holding a mutable array', Object.freeze({ a: [1] })],
    ['a frozen Date', Object.freeze(new Date(0))],
    ['a frozen Map', Object.freeze(new Map())],
    ['a frozen object with toJSON', Object.freeze({ toJSON: () => 'x' })],
    ['a frozen object with a function', Object.freeze({ f: () => 1 })],
    ['a frozen object with a bigint', Object.freeze({ n: 1n })],
    [
      'a frozen class instance',
      Object.freeze(
        new (class Point {
          x = 1
        })(),
      ),
    ],
    [
      'a frozen object with a getter',
      Object.freeze(Object.defineProperty({}, 'a', { get: () => 1, enumerable: true })),
    ],
  ])('refuses %s', (_, value) => {
    expect(isFrozenPlainData(value)).toBe(false)
  })

  it('refuses nesting deeper than it walks', () => {
    let value: unknown = Object.freeze({})
    for (let i = 0; i < 40; i++) value = Object.freeze({ value })
    expect(isFrozenPlainData(value)).toBe(false)
  })
})
