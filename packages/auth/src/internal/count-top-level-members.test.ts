import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { countTopLevelMembers } from './count-top-level-members.ts'
import { parseJsonObject } from './parse-json-object.ts'

describe('countTopLevelMembers', () => {
  it('equals the number of keys of any JSON object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const json = JSON.stringify(object)
        expect(countTopLevelMembers(json)).toBe(Object.keys(JSON.parse(json) as object).length)
      }),
      { numRuns: 500 },
    )
  })

  it('exceeds the number of keys when a name repeats', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.jsonValue(),
        (object, value) => {
          const json = JSON.stringify(object)
          const name = Object.keys(object)[0]!
          const duplicated = `${json.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(value)}}`
          expect(countTopLevelMembers(duplicated)).toBeGreaterThan(
            Object.keys(JSON.parse(duplicated) as object).length,
          )
        },
      ),
      { numRuns: 500 },
    )
  })

  it.each([
    ['escaped quotes in strings', '{"a":"x\\"y:z","b":1}', 2],
    ['escaped backslashes before a quote', '{"a":"x\\\\","b":":"}', 2],
    ['nested objects', '{"a":{"b":1,"c":{"d":2}},"e":[{"f":3}]}', 2],
    ['whitespace', ' { "a" : 1 ,\n "b" : 2 } ', 2],
    ['an empty object', '{}', 0],
    ['an unterminated string (not valid JSON, but it must end)', '{"a":"b', 1],
  ])('handles %s', (_, json, count) => {
    expect(countTopLevelMembers(json)).toBe(count)
  })
})

describe('parseJsonObject', () => {
  const parse = (text: string | Buffer) =>
    parseJsonObject(typeof text === 'string' ? Buffer.from(text) : text, 100)

  it('parses an object and lists its names', () => {
    expect(parse('{"a":1,"b":[1,2]}')).toEqual({ value: { a: 1, b: [1, 2] }, names: ['a', 'b'] })
  })

  it.each([
    ['an array', '[]'],
    ['null', 'null'],
    ['a number', '1'],
    ['invalid JSON', '{"a":}'],
    ['a byte-order mark', '\uFEFF{}'],
    ['a duplicate', '{"a":1,"a":2}'],
    ['an escaped duplicate', '{"a":1,"\\u0061":2}'],
    ['too many bytes', `{"a":"${'x'.repeat(100)}"}`],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    [
      'an overlong UTF-8 encoding',
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
    ],
  ])('refuses %s', (_, text) => {
    expect(parse(text)).toBeUndefined()
  })

  it('accepts a real U+FFFD', () => {
    expect(parse('{"a":"\uFFFD"}')?.value).toEqual({ a: '\uFFFD' })
  })

  it('keeps __proto__ as an own member and never as the prototype', () => {
    const parsed = parse('{"__proto__":{"admin":true}}')
    expect(Object.getPrototypeOf(parsed?.value)).toBe(Object.prototype)
    expect(parsed?.names).toEqual(['__proto__'])
  })
})
