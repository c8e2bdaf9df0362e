/*
 * The single-call path of `handleTrpc` must answer exactly what tRPC's `resolveResponse` would.
 * Each request is sent twice: as is (answered by `answerSingleCall`) and with an extra query
 * parameter tRPC ignores (which sends it through `resolveResponse`); status, body and the headers
 * a client or a cache reads must be identical, and `resolveResponse` must have been called for
 * the second only.
 *
 * Queries by GET:
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
 *
 * Mutations by POST (each sent so that both answers are the same despite its side effects):
 *
 * | request                                             | answer                               |
 * |-----------------------------------------------------|--------------------------------------|
 * | auth.login, right password (bearer; cookie)         | 200 (tokens differ; all else same)   |
 * | auth.login, wrong password                          | 401 invalid_credentials              |
 * | auth.login with `application/json; charset=utf-8`   | 401 invalid_credentials              |
 * | auth.login with a body that is not JSON / empty     | 400 BAD_REQUEST                      |
 * | auth.login with input of the wrong shape            | 400 BAD_REQUEST (zod)                |
 * | auth.login in cookie transport from a foreign Origin| 403                                  |
 * | auth.register with a taken e-mail                   | 409 CONFLICT                         |
 * | projects.create without a token                     | 401 + WWW-Authenticate               |
 *
 * Requests the single-call path must leave to `resolveResponse`, each checked by the number of
 * its calls: a batch, a query by POST, a mutation by GET, a body of another type or none.
 *
 * Single calls never read the request's `signal` (on Node 20 building one costs the old
 * generation about 0.5 KB per request); a batch, answered by `resolveResponse`, does.
 */
import * as trpcHttp from '@trpc/server/http'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { startTestWarden, type TestWarden } from '../../tests/harness.ts'

const COMPARED_HEADERS = [
  'content-type',
  'vary',
  'www-authenticate',
  'retry-after',
  'set-cookie',
  'cache-control',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'content-security-policy',
  'date',
  'access-control-allow-origin',
  'access-control-allow-credentials',
]

vi.mock('@trpc/server/http', async (importOriginal) => {
  const original = await importOriginal<typeof trpcHttp>()
  return { ...original, resolveResponse: vi.fn(original.resolveResponse) }
})
const resolveResponse = vi.mocked(trpcHttp.resolveResponse)
beforeEach(() => {
  resolveResponse.mockClear()
})

interface Sent {
  headers?: Record<string, string>
  /** A POST with this body. */
  body?: string
}

/** Tokens and cookie values differ from one login to the next; nothing else may. */
const maskTokens = (text: string) =>
  text.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+|wrt_[\w-]+/g, '<token>')

async function answer(t: TestWarden, path: string, sent: Sent) {
  const response = await t.request(path, {
    headers: sent.headers ?? {},
    ...(sent.body === undefined ? {} : { method: 'POST', body: sent.body }),
  })
  return {
    status: response.status,
    body: JSON.parse(maskTokens(await response.text())) as unknown,
    headers: Object.fromEntries(
      COMPARED_HEADERS.map((name) => {
        const value = name === 'set-cookie' ? response.headers.getSetCookie().join('\n') : null
        return [name, value === null ? response.headers.get(name) : maskTokens(value)]
      }),
    ),
  }
}

async function expectSameAnswer(t: TestWarden, path: string, sent: Sent = {}) {
  const calls = resolveResponse.mock.calls.length
  const fast = await answer(t, path, sent)
  expect(resolveResponse.mock.calls.length, 'answered by resolveResponse').toBe(calls)
  const viaResolveResponse = await answer(t, `${path}${path.includes('?') ? '&' : '?'}x=1`, sent)
  expect(resolveResponse.mock.calls.length).toBe(calls + 1)
  expect(fast).toEqual(viaResolveResponse)
  return fast
}

const json = { 'content-type': 'application/json' }

describe('single GET queries answer as resolveResponse does', () => {
  it('success, auth failures, input errors, procedure errors', async () => {
    await using t = await startTestWarden({ backend: 'pglite' })
    const { accessToken } = await t.signUp('ada@example.com')
    const bearer = { authorization: `Bearer ${accessToken}` }
    const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`

    expect((await expectSameAnswer(t, '/trpc/system.info')).status).toBe(200)
    expect((await expectSameAnswer(t, '/trpc/system.info?input=%7Bnot%20json')).status).toBe(200)
    const whoami = '/trpc/system.whoami'
    expect((await expectSameAnswer(t, whoami, { headers: bearer })).status).toBe(200)
    expect((await expectSameAnswer(t, whoami)).status).toBe(401)
    const forged = { authorization: `Bearer ${accessToken.slice(0, -4)}AAAA` }
    const refused = await expectSameAnswer(t, whoami, { headers: forged })
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toContain('invalid_signature')
    const doubled = { authorization: `Bearer ${accessToken}, Bearer ${accessToken}` }
    expect((await expectSameAnswer(t, whoami, { headers: doubled })).status).toBe(400)
    const notJson = '/trpc/projects.get?input=%7Bnot'
    expect((await expectSameAnswer(t, notJson, { headers: bearer })).status).toBe(400)
    const wrongShape = `/trpc/projects.get?${input({ id: 42 })}`
    expect((await expectSameAnswer(t, wrongShape, { headers: bearer })).status).toBe(400)
    const missing = `/trpc/projects.get?${input({ id: '0190d3a4-7c1e-7a5e-9b1c-2f3a4b5c6d7e' })}`
    expect((await expectSameAnswer(t, missing, { headers: bearer })).status).toBe(404)
    const admin = '/trpc/admin.users.list'
    expect((await expectSameAnswer(t, admin, { headers: bearer })).status).toBe(403)

    // What the app adds to both: the security headers, and Vary: Origin with CORS or without.
    const plain = await expectSameAnswer(t, whoami, { headers: bearer })
    expect(plain.headers).toMatchObject({
      vary: 'trpc-accept, accept, Origin',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    })
    const origin = { ...bearer, origin: 'https://app.example' }
    const fromBrowser = await expectSameAnswer(t, whoami, { headers: origin })
    expect(fromBrowser.headers).toMatchObject({
      vary: 'trpc-accept, accept, Origin',
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-credentials': 'true',
      'x-frame-options': 'DENY',
    })
  })
})

describe('abort signals', () => {
  /** Sends `init` to `path` and counts the reads of the request's `signal`. */
  async function signalReads(t: TestWarden, path: string, init: RequestInit = {}) {
    const request = new Request(new URL(path, 'http://localhost'), init)
    let reads = 0
    const signal = request.signal
    Object.defineProperty(request, 'signal', {
      get: () => {
        reads++
        return signal
      },
    })
    const response = await t.app.request(request)
    return { status: response.status, reads }
  }

  it("single calls never build the request signal; batches keep tRPC's", async () => {
    await using t = await startTestWarden({ backend: 'pglite' })
    const { accessToken } = await t.signUp('ada@example.com')
    const bearer = { authorization: `Bearer ${accessToken}` }
    expect(await signalReads(t, '/trpc/system.info')).toEqual({ status: 200, reads: 0 })
    const whoami = await signalReads(t, '/trpc/system.whoami', { headers: bearer })
    expect(whoami).toEqual({ status: 200, reads: 0 })
    const body = JSON.stringify({ email: 'ada@example.com', password: 'not her password' })
    const login = await signalReads(t, '/trpc/auth.login', {
      method: 'POST',
      headers: { ...json, 'content-length': String(body.length) },
      body,
    })
    expect(login).toEqual({ status: 401, reads: 0 })

    const batch = await signalReads(t, '/trpc/system.info,system.whoami?batch=1', {
      headers: bearer,
    })
    expect(batch.status).toBe(200)
    expect(batch.reads).toBeGreaterThan(0)
  })
})

describe('single POST mutations answer as resolveResponse does', () => {
  it('success, credentials, input errors, CSRF, conflicts, auth failures', async () => {
    await using t = await startTestWarden({ backend: 'pglite' })
    const email = 'ada@example.com'
    const password = 'correct horse battery staple'
    await t.register(email, password)
    const login = '/trpc/auth.login'
    const body = (value: unknown) => JSON.stringify(value)

    const bearer = await expectSameAnswer(t, login, {
      headers: json,
      body: body({ email, password }),
    })
    expect(bearer.status).toBe(200)
    expect(bearer.body).toMatchObject({ result: { data: { refreshToken: '<token>' } } })
    const cookie = await expectSameAnswer(t, login, {
      headers: { ...json, origin: 'https://app.example' },
      body: body({ email, password, transport: 'cookie' }),
    })
    expect(cookie.status).toBe(200)
    expect(cookie.headers['set-cookie']).toContain('HttpOnly')

    const wrong = body({ email, password: 'not the password at all' })
    const refused = await expectSameAnswer(t, login, { headers: json, body: wrong })
    expect(refused.status).toBe(401)
    expect(refused.body).toMatchObject({ error: { data: { authError: 'invalid_credentials' } } })
    const charset = { 'content-type': 'Application/JSON; charset=utf-8' }
    expect((await expectSameAnswer(t, login, { headers: charset, body: wrong })).status).toBe(401)
    expect((await expectSameAnswer(t, login, { headers: json, body: '{not' })).status).toBe(400)
    expect((await expectSameAnswer(t, login, { headers: json, body: '' })).status).toBe(400)
    const wrongShape = body({ email: 42 })
    expect((await expectSameAnswer(t, login, { headers: json, body: wrongShape })).status).toBe(400)
    const foreign = { ...json, origin: 'https://evil.example' }
    const csrf = body({ email, password, transport: 'cookie' })
    expect((await expectSameAnswer(t, login, { headers: foreign, body: csrf })).status).toBe(403)

    const taken = body({ email, password })
    const conflict = await expectSameAnswer(t, '/trpc/auth.register', {
      headers: json,
      body: taken,
    })
    expect(conflict.status).toBe(409)
    const create = { headers: json, body: body({ name: 'Apollo' }) }
    const unauthenticated = await expectSameAnswer(t, '/trpc/projects.create', create)
    expect(unauthenticated.status).toBe(401)
    expect(unauthenticated.headers['www-authenticate']).toMatch(/^Bearer realm="warden"/)
  })

  it('leaves batches, queries by POST, mutations by GET and other bodies to resolveResponse', async () => {
    await using t = await startTestWarden({ backend: 'pglite' })
    const sent: [string, RequestInit, number][] = [
      ['/trpc/auth.login?batch=1', { method: 'POST', headers: json, body: '{"0":{}}' }, 400],
      ['/trpc/system.info', { method: 'POST', headers: json, body: '{}' }, 405],
      ['/trpc/auth.login', { method: 'GET' }, 405],
      ['/trpc/auth.login', { method: 'POST', body: '{}' }, 415],
      ['/trpc/auth.login', { method: 'POST', headers: { 'content-type': 'text/plain' } }, 415],
    ]
    for (const [path, init, status] of sent) {
      resolveResponse.mockClear()
      expect((await t.request(path, init)).status, `${init.method} ${path}`).toBe(status)
      expect(resolveResponse, `${init.method} ${path}`).toHaveBeenCalledOnce()
    }
  })
})
