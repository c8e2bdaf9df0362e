/*
 * POST /oauth/token, grant_type=client_credentials, over a real socket (RFC 6749 §2.3.1, §3.2,
 * §4.4, §5.1, §5.2; RFC 8707; RFC 9068).
 *
 * | request                                                         | answer                           |
 * |-----------------------------------------------------------------|----------------------------------|
 * | Basic, or id and secret in the body                             | 200 Bearer token, no-store       |
 * | both methods at once                                            | 400 invalid_request              |
 * | wrong secret · unknown client · disabled client · malformed Basic| 401 invalid_client, Basic challenge, one body |
 * | audience not allowed (audience or resource), two targets         | 400 invalid_target               |
 * | scope wider than allowed · malformed                             | 400 invalid_scope                |
 * | scope narrower, or `scope=` (omitted, §3.1)                      | 200, narrowed · full             |
 * | unknown grant · no grant_type · repeated parameter              | 400 unsupported_grant_type · invalid_request |
 * | 21st request of one client from one address within a second    | 429 rate_limited, Retry-After    |
 * | service token on a user-only procedure                          | 403 insufficient_scope           |
 * | the password hasher saturated                                   | 503 temporarily_unavailable, no query |
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { PasswordHasher } from '@warden/auth'
import { listAuditEvents } from '@warden/db'
import { createTestDatabase, testBackends } from '@warden/db/testing'

import { saturableHasher, testPasswords } from '../harness.ts'
import {
  claimsOf,
  headerOf,
  startSocketWarden,
  type SocketWarden,
  type TokenAnswer,
} from './socket-warden.ts'

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

function expectNoStore(answer: TokenAnswer) {
  expect(answer.headers.get('cache-control')).toBe(NO_STORE['cache-control'])
  expect(answer.headers.get('pragma')).toBe(NO_STORE.pragma)
}

function expectError(answer: TokenAnswer, status: number, error: string) {
  expect(answer.status, JSON.stringify(answer.json)).toBe(status)
  expect(answer.json['error']).toBe(error)
  expect(answer.json['error_description']).toBeTypeOf('string')
  expectNoStore(answer)
  // §5.2: the Basic challenge goes with 401 only.
  expect(answer.headers.get('www-authenticate')).toBe(
    status === 401 ? 'Basic realm="warden", charset="UTF-8"' : null,
  )
}

/** Counts what the endpoint asks of the hasher, to see unknown clients cost a verification. */
function countingHasher(inner: PasswordHasher) {
  const counts = { verify: 0, verifyDummy: 0 }
  const hasher: PasswordHasher = {
    ...inner,
    hash: (password) => inner.hash(password),
    verify: (hash, password) => {
      counts.verify++
      return inner.verify(hash, password)
    },
    verifyDummy: (password) => {
      counts.verifyDummy++
      return inner.verifyDummy(password)
    },
  }
  return { hasher, counts }
}

describe.each(testBackends())('client credentials over a socket on %s', (backend) => {
  let w: SocketWarden
  let tenantId: string
  const counting = countingHasher(testPasswords())
  const secrets: Record<string, string> = {}

  beforeAll(async () => {
    w = await startSocketWarden({ backend, passwords: counting.hasher })
    const scopes = ['invoices:read', 'projects:read']
    secrets['reports'] = await w.createClient({ id: 'reports', audiences: ['warden-api'], scopes })
    secrets['multi'] = await w.createClient({
      id: 'multi',
      audiences: ['warden-api', 'warden-reports'],
      scopes,
    })
    secrets['off'] = await w.createClient({ id: 'off', audiences: ['warden-api'], enabled: false })
    secrets['busy'] = await w.createClient({ id: 'busy', audiences: ['warden-api'] })
    const me = await w.call('auth.me', { token: (await w.signUp('ada@example.com')).accessToken })
    tenantId = (me.data as { tenantId: string }).tenantId
  })
  afterAll(async () => {
    await w.close()
  })

  it('issues an RFC 9068 token by Basic: sub = client_id = the client, one aud, no refresh token', async () => {
    const answer = await w.token(
      { grant_type: 'client_credentials', audience: 'warden-api' },
      { basic: ['reports', secrets['reports'] ?? ''] },
    )
    expect(answer.status, JSON.stringify(answer.json)).toBe(200)
    expectNoStore(answer)
    expect(answer.headers.get('www-authenticate')).toBeNull()
    expect(answer.json).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'invoices:read projects:read',
    })
    const token = String(answer.json['access_token'])
    expect(headerOf(token)).toMatchObject({ typ: 'at+jwt', alg: 'EdDSA' })
    const claims = claimsOf(token)
    expect(claims).toMatchObject({
      iss: w.url,
      sub: 'reports',
      client_id: 'reports',
      aud: 'warden-api',
      scope: 'invoices:read projects:read',
    })
    expect(claims['exp']).toBe(Number(claims['iat']) + 900)
    expect(claims).not.toHaveProperty('tid')
    expect(claims).not.toHaveProperty('roles')

    // The token works where a service is allowed: invoices.list naming a tenant.
    const invoices = await w.call('invoices.list', { token, input: { tenantId } })
    expect(invoices.status).toBe(200)
    const events = await listAuditEvents(w.database.kysely, { type: 'client_token_issued' })
    expect(events.some((event) => event.actorClientId === 'reports')).toBe(true)
  })

  it('issues by client_secret_post, and refuses both methods at once', async () => {
    const post = await w.token({
      grant_type: 'client_credentials',
      client_id: 'reports',
      client_secret: secrets['reports'] ?? '',
    })
    expect(post.status, JSON.stringify(post.json)).toBe(200)
    expect(claimsOf(String(post.json['access_token']))['sub']).toBe('reports')

    const both = await w.token(
      {
        grant_type: 'client_credentials',
        client_id: 'reports',
        client_secret: secrets['reports'] ?? '',
      },
      { basic: ['reports', secrets['reports'] ?? ''] },
    )
    expectError(both, 400, 'invalid_request')
    // A client_id alone beside Basic is no second method when it names the same client.
    const sameId = await w.token(
      { grant_type: 'client_credentials', client_id: 'reports' },
      { basic: ['reports', secrets['reports'] ?? ''] },
    )
    expect(sameId.status).toBe(200)
    const otherId = await w.token(
      { grant_type: 'client_credentials', client_id: 'multi' },
      { basic: ['reports', secrets['reports'] ?? ''] },
    )
    expectError(otherId, 400, 'invalid_request')
  })

  it('gives a wrong secret, an unknown client and a disabled one the same 401, each after a hash verification', async () => {
    const before = { ...counting.counts }
    const wrong = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['reports', 'wcs_not_the_secret'] },
    )
    const unknown = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['nobody', 'wcs_not_the_secret'] },
    )
    const disabled = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['off', secrets['off'] ?? ''] },
    )
    const postWrong = await w.token({
      grant_type: 'client_credentials',
      client_id: 'reports',
      client_secret: 'wcs_not_the_secret',
    })
    for (const answer of [wrong, unknown, disabled, postWrong]) {
      expectError(answer, 401, 'invalid_client')
      expect(answer.json).toEqual(wrong.json)
    }
    // The unknown client costs a dummy verification, like the others' real one.
    expect(counting.counts.verify - before.verify).toBe(3)
    expect(counting.counts.verifyDummy - before.verifyDummy).toBe(1)
    const failures = await listAuditEvents(w.database.kysely, { type: 'client_auth_failed' })
    expect(failures.map((event) => event.reason)).toEqual(
      expect.arrayContaining(['wrong_secret', 'unknown_client', 'disabled']),
    )
  })

  it('answers malformed or missing client authentication with a JSON 401 invalid_client', async () => {
    for (const authorization of ['Basic', 'Basic !!!', 'Basic bm9jb2xvbg==', 'basic  %%%']) {
      const answer = await w.token(
        { grant_type: 'client_credentials' },
        { headers: { authorization } },
      )
      expectError(answer, 401, 'invalid_client')
    }
    expectError(await w.token({ grant_type: 'client_credentials' }), 401, 'invalid_client')
    expectError(
      await w.token({ grant_type: 'client_credentials', client_id: 'reports' }),
      401,
      'invalid_client',
    )
    // A Bearer token is not client authentication.
    expectError(
      await w.token(
        { grant_type: 'client_credentials' },
        { headers: { authorization: 'Bearer x' } },
      ),
      401,
      'invalid_client',
    )
  })

  it('restricts the audience to the client’s own (RFC 8707 invalid_target)', async () => {
    const basic = ['multi', secrets['multi'] ?? ''] as const
    const forReports = await w.token(
      { grant_type: 'client_credentials', resource: 'warden-reports' },
      { basic },
    )
    expect(forReports.status).toBe(200)
    expect(claimsOf(String(forReports.json['access_token']))['aud']).toBe('warden-reports')
    expectError(
      await w.token({ grant_type: 'client_credentials', audience: 'warden-admin' }, { basic }),
      400,
      'invalid_target',
    )
    expectError(
      await w.token(
        { grant_type: 'client_credentials', audience: 'warden-api', resource: 'warden-reports' },
        { basic },
      ),
      400,
      'invalid_target',
    )
    expectError(
      await w.token('grant_type=client_credentials&resource=warden-api&resource=warden-reports', {
        basic,
      }),
      400,
      'invalid_target',
    )
    // Several allowed audiences and none asked for: the request is incomplete.
    expectError(
      await w.token({ grant_type: 'client_credentials' }, { basic }),
      400,
      'invalid_request',
    )
    // One allowed audience: it is the default.
    const single = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['reports', secrets['reports'] ?? ''] },
    )
    expect(claimsOf(String(single.json['access_token']))['aud']).toBe('warden-api')
    expectError(
      await w.token(
        { grant_type: 'client_credentials', audience: 'warden-reports' },
        { basic: ['reports', secrets['reports'] ?? ''] },
      ),
      400,
      'invalid_target',
    )
  })

  it('narrows the scope on request and refuses to widen it (invalid_scope)', async () => {
    const basic = ['reports', secrets['reports'] ?? ''] as const
    const narrowed = await w.token(
      { grant_type: 'client_credentials', scope: 'invoices:read' },
      { basic },
    )
    expect(narrowed.json['scope']).toBe('invoices:read')
    expect(claimsOf(String(narrowed.json['access_token']))['scope']).toBe('invoices:read')
    expectError(
      await w.token(
        { grant_type: 'client_credentials', scope: 'invoices:read invoices:approve' },
        { basic },
      ),
      400,
      'invalid_scope',
    )
    expectError(
      await w.token({ grant_type: 'client_credentials', scope: 'invoices:"read' }, { basic }),
      400,
      'invalid_scope',
    )
    // §3.1: a parameter without a value is omitted: the client's whole scope.
    const empty = await w.token({ grant_type: 'client_credentials', scope: '' }, { basic })
    expect(empty.json['scope']).toBe('invoices:read projects:read')
  })

  it('refuses unknown grants, a missing grant_type, repeated parameters and bad transport', async () => {
    const basic = ['reports', secrets['reports'] ?? ''] as const
    expectError(await w.token({ grant_type: 'password' }, { basic }), 400, 'unsupported_grant_type')
    expectError(await w.token({ audience: 'warden-api' }, { basic }), 400, 'invalid_request')
    expectError(
      await w.token('grant_type=client_credentials&scope=invoices:read&scope=projects:read', {
        basic,
      }),
      400,
      'invalid_request',
    )
    expectError(
      await w.token('grant_type=client_credentials&grant_type=client_credentials', { basic }),
      400,
      'invalid_request',
    )
    const json = await fetch(`${w.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    expect(json.status).toBe(400)
    expect(json.headers.get('cache-control')).toBe('no-store')
    const inUrl = await fetch(
      `${w.url}/oauth/token?client_id=reports&client_secret=${secrets['reports'] ?? ''}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      },
    )
    expect(inUrl.status).toBe(400)
    expect(((await inUrl.json()) as { error: string }).error).toBe('invalid_request')
    const tooLarge = await w.token(
      { grant_type: 'client_credentials', padding: 'x'.repeat(20_000) },
      { basic },
    )
    expectError(tooLarge, 400, 'invalid_request')
    const get = await fetch(`${w.url}/oauth/token`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const crossSite = await w.token(
      { grant_type: 'client_credentials' },
      { basic, headers: { origin: 'https://evil.example' } },
    )
    expectError(crossSite, 400, 'invalid_request')
  })

  it('rate-limits per client and address: 429 with Retry-After, others unaffected, refilled in time', async () => {
    const basic = ['busy', secrets['busy'] ?? ''] as const
    const answers = []
    for (let i = 0; i < 21; i++)
      answers.push(await w.token({ grant_type: 'client_credentials' }, { basic }))
    expect(answers.slice(0, 20).every((answer) => answer.status === 200)).toBe(true)
    const limited = answers[20]
    if (limited === undefined) throw new Error('no 21st answer')
    expectError(limited, 429, 'rate_limited')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    // Even a wrong secret is refused by the limit, before the hash is computed.
    expectError(
      await w.token({ grant_type: 'client_credentials' }, { basic: ['busy', 'wrong'] }),
      429,
      'rate_limited',
    )
    const other = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['reports', secrets['reports'] ?? ''] },
    )
    expect(other.status).toBe(200)
    w.clock.advance(Number(limited.headers.get('retry-after')) * 1000)
    expect((await w.token({ grant_type: 'client_credentials' }, { basic })).status).toBe(200)
  })

  it('gives a service token 403 insufficient_scope on user-only procedures', async () => {
    const answer = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['reports', secrets['reports'] ?? ''] },
    )
    const token = String(answer.json['access_token'])
    for (const procedure of ['auth.me', 'projects.list', 'auth.sessions']) {
      const result = await w.call(procedure, { token })
      expect(result.status, procedure).toBe(403)
      expect(result.json.error?.data.authError, procedure).toBe('insufficient_scope')
      expect(result.headers.get('www-authenticate'), procedure).toBe(
        'Bearer realm="warden", error="insufficient_scope"',
      )
    }
    // A service must name the tenant it reads for.
    expect((await w.call('invoices.list', { token })).status).toBe(400)
  })
})

describe('client authentication with a saturated password hasher', () => {
  it('is refused 503 temporarily_unavailable before any database query', async () => {
    // The text of every statement the database answers, in order.
    const statements: string[] = []
    await using database = await createTestDatabase('pglite', {
      onQuery: (sql) => statements.push(sql),
    })
    const hasher = saturableHasher()
    await using w = await startSocketWarden({
      backend: 'pglite',
      database,
      passwords: hasher.passwords,
    })
    const secret = await w.createClient({ id: 'reports', audiences: ['warden-api'] })

    hasher.saturate()
    statements.length = 0
    const refused = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['reports', secret] },
    )
    expect(refused.status).toBe(503)
    expect(refused.json['error']).toBe('temporarily_unavailable')
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(statements).toEqual([])

    await hasher.free()
    const granted = await w.token(
      { grant_type: 'client_credentials' },
      { basic: ['reports', secret] },
    )
    expect(granted.status).toBe(200)
  })
})
