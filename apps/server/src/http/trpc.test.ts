/*
 * The single-query path of `handleTrpc` must answer exactly what tRPC's `resolveResponse` would.
 * Each request is sent twice: as is (answered by `answerSingleQuery`) and with an extra query
 * parameter tRPC ignores (which sends it through `resolveResponse`); status, body and the headers
 * a client or a cache reads must be identical.
 *
 * | request                                             | answer                               |
 * |-----------------------------------------------------|--------------------------------------|
 * | system.info                                         | 200                                  |
 * | system.info with an input it does not read          | 200 (input never parsed)             |
 * | system.whoami with a valid token                    | 200                                  |
 * | system.whoami without a token / with a forged one   | 401 + WWW-Authenticate               |
 * | system.whoami with a doubled Authorization header   | 400 invalid_request                  |
 * | projects.get with input that is not JSON            | 400 BAD_REQUEST                      |
 * | projects.get with input of the wrong shape          | 400 BAD_REQUEST (zod)                |
 * | projects.get for a project that does not exist      | 404 NOT_FOUND                        |
 * | admin.users.list as a member                        | 403 insufficient_scope               |
 */
import { describe, expect, it } from 'vitest'

import { startTestWarden, type TestWarden } from '../../tests/harness.ts'

const COMPARED_HEADERS = [
  'content-type',
  'vary',
  'www-authenticate',
  'retry-after',
  'set-cookie',
  'cache-control',
  'x-content-type-options',
  'content-security-policy',
]

async function answer(t: TestWarden, path: string, headers: Record<string, string>) {
  const response = await t.request(path, { headers })
  return {
    status: response.status,
    body: await response.json(),
    headers: Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers.get(name)])),
  }
}

async function expectSameAnswer(t: TestWarden, path: string, headers: Record<string, string> = {}) {
  const fast = await answer(t, path, headers)
  const viaResolveResponse = await answer(t, `${path}${path.includes('?') ? '&' : '?'}x=1`, headers)
  expect(fast).toEqual(viaResolveResponse)
  return fast
}

describe('single GET queries answer as resolveResponse does', () => {
  it('success, auth failures, input errors, procedure errors', async () => {
    await using t = await startTestWarden({ backend: 'pglite' })
    const { accessToken } = await t.signUp('ada@example.com')
    const bearer = { authorization: `Bearer ${accessToken}` }
    const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`

    expect((await expectSameAnswer(t, '/trpc/system.info')).status).toBe(200)
    expect((await expectSameAnswer(t, '/trpc/system.info?input=%7Bnot%20json')).status).toBe(200)
    expect((await expectSameAnswer(t, '/trpc/system.whoami', bearer)).status).toBe(200)
    expect((await expectSameAnswer(t, '/trpc/system.whoami')).status).toBe(401)
    const forged = { authorization: `Bearer ${accessToken.slice(0, -4)}AAAA` }
    const refused = await expectSameAnswer(t, '/trpc/system.whoami', forged)
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toContain('invalid_signature')
    const doubled = { authorization: `Bearer ${accessToken}, Bearer ${accessToken}` }
    expect((await expectSameAnswer(t, '/trpc/system.whoami', doubled)).status).toBe(400)
    expect((await expectSameAnswer(t, '/trpc/projects.get?input=%7Bnot', bearer)).status).toBe(400)
    const wrongShape = `/trpc/projects.get?${input({ id: 42 })}`
    expect((await expectSameAnswer(t, wrongShape, bearer)).status).toBe(400)
    const missing = `/trpc/projects.get?${input({ id: '0190d3a4-7c1e-7a5e-9b1c-2f3a4b5c6d7e' })}`
    expect((await expectSameAnswer(t, missing, bearer)).status).toBe(404)
    expect((await expectSameAnswer(t, '/trpc/admin.users.list', bearer)).status).toBe(403)
  })
})
