import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { parseRevocationEvent } from './revocations.ts'

const USER_ID = '6f1c2a9e-4b1d-4c3e-9a7f-2b8d5e0c1a3f'

describe('parseRevocationEvent', () => {
  it('reads the two event shapes', () => {
    expect(parseRevocationEvent('{"type":"jti","jti":"abc","exp":1700000000}')).toEqual({
      type: 'jti',
      jti: 'abc',
      exp: 1700000000,
    })
    expect(
      parseRevocationEvent(`{"type":"user","userId":"${USER_ID}","after":1700000000123}`),
    ).toEqual({ type: 'user', userId: USER_ID, after: 1700000000123 })
  })

  it.each([
    '',
    'not json',
    'null',
    '[]',
    '"jti"',
    '{}',
    '{"type":"jti","jti":"","exp":1}',
    '{"type":"jti","jti":"a","exp":-1}',
    '{"type":"jti","jti":"a","exp":1.5}',
    '{"type":"jti","jti":"a","exp":"1"}',
    '{"type":"jti","jti":1,"exp":1}',
    '{"type":"jti","jti":"a","exp":1,"extra":true}',
    `{"type":"jti","jti":"${'x'.repeat(257)}","exp":1}`,
    '{"type":"user","userId":"not-a-uuid","after":1}',
    `{"type":"user","userId":"${USER_ID}","after":null}`,
    `{"type":"user","userId":"${USER_ID}"}`,
    '{"type":"everyone"}',
  ])('ignores %s', (payload) => {
    expect(parseRevocationEvent(payload)).toBeUndefined()
  })

  it('never throws, whatever arrives on the channel', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (payload) => {
        const event = parseRevocationEvent(payload)
        if (event !== undefined) expect(['jti', 'user']).toContain(event.type)
      }),
    )
  })

  it('round-trips every valid event', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            type: fc.constant('jti' as const),
            jti: fc.string({ minLength: 1, maxLength: 256 }),
            exp: fc.nat(),
          }),
          fc.record({
            type: fc.constant('user' as const),
            userId: fc.uuid(),
            after: fc.nat(),
          }),
        ),
        (event) => {
          expect(parseRevocationEvent(JSON.stringify(event))).toEqual(event)
        },
      ),
    )
  })
})
