import { describe, expect, it } from 'vitest'

import { isDatabaseUnavailable } from './is-database-unavailable.ts'

function withCode(code: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code })
}

describe('isDatabaseUnavailable', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    '08000',
    '08001',
    '08003',
    '08006',
    '08P01',
    '57P01',
    '57P02',
    '57P03',
    '53300',
    '57014',
  ])('is true for code %s', (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true)
  })

  it.each([
    'timeout exceeded when trying to connect',
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Query read timeout',
  ])('is true for node-postgres’ "%s"', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true)
  })

  it('follows causes and aggregate errors', () => {
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: withCode('ECONNREFUSED') }))).toBe(
      true,
    )
    expect(
      isDatabaseUnavailable(
        new AggregateError([new Error('x'), withCode('ECONNREFUSED')], 'connect'),
      ),
    ).toBe(true)
  })

  it.each([
    ['a unique violation', withCode('23505')],
    ['a malformed uuid', withCode('22P02')],
    ['a deadlock', withCode('40P01')],
    ['a plain error', new Error('Connection terminated by a typo in this message')],
    ['null', null],
    ['a string', 'ECONNREFUSED'],
    ['a number code', Object.assign(new Error('x'), { code: 8006 })],
  ])('is false for %s', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false)
  })

  it('stops on a cause cycle', () => {
    const a = new Error('a')
    const b = new Error('b', { cause: a })
    Object.assign(a, { cause: b })
    expect(isDatabaseUnavailable(a)).toBe(false)
  })
})
