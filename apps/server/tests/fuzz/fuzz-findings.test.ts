/*
 * What the fuzzers found, pinned as plain regression tests (each ran as a 500 before its fix).
 *
 * | finding                                                         | answer now               |
 * |-----------------------------------------------------------------|--------------------------|
 * | U+0000 in a stored text field (projects.create name,            | 400 BAD_REQUEST, nothing |
 * | invoices.create description, auth.register name): PostgreSQL's  | stored                   |
 * | text cannot hold it, the insert failed                          |                          |
 */
import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { startTestWarden } from '../harness.ts'

describe.each(testBackends())('fuzz findings on %s', (backend) => {
  it('U+0000 in stored text is a 400, not a 500', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken } = await t.signUp('ada@example.com')
    const cases: [string, unknown, string | undefined][] = [
      ['projects.create', { name: 'a\u0000b' }, accessToken],
      ['projects.create', { name: '\u0000' }, accessToken],
      ['invoices.create', { amount: 100, description: 'x\u0000' }, accessToken],
      [
        'auth.register',
        { email: 'bob@example.com', password: 'correct horse battery staple', name: 'b\u0000b' },
        undefined,
      ],
    ]
    for (const [procedure, input, token] of cases) {
      const result = await t.call(procedure, input, token === undefined ? {} : { token })
      expect(result.status, procedure).toBe(400)
      expect(result.error?.data.code, procedure).toBe('BAD_REQUEST')
    }
    expect((await t.call('projects.list', undefined, { token: accessToken })).data).toEqual([])
    expect((await t.call('invoices.list', undefined, { token: accessToken })).data).toEqual([])
    // The same names without the NUL are fine.
    expect((await t.call('projects.create', { name: 'ab' }, { token: accessToken })).status).toBe(
      200,
    )
  })
})
