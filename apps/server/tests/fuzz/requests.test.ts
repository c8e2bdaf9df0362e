/*
 * Fuzzing whole requests: tRPC paths (real procedure names, unknown and hostile ones), methods,
 * single calls and batches (up to 60 calls, over the cap of 50), inputs in the query string and
 * in the body (random JSON, malformed JSON, NUL bytes and odd Unicode in every string field, ids
 * of another tenant), cookies (random, and refresh cookies), Origins and Authorization (none,
 * a genuine token of tenant A, garbage). Tenant B owns projects and invoices whose names carry a
 * marker that no input ever contains.
 *
 * | property                                                        | expected                    |
 * |-----------------------------------------------------------------|-----------------------------|
 * | any answer                                                      | a status below 500          |
 * | a call of a protected procedure without a genuine token         | never a result (single or   |
 * |                                                                 | inside a batch)             |
 * | any answer                                                      | never tenant B's marker     |
 * | any result                                                      | never one of tenant B's ids |
 * | the heap retained after the runs (after a full GC)              | within 48 MiB of the heap   |
 * |                                                                 | retained after a warm-up    |
 */
import { randomBytes } from 'node:crypto'

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { appRouter } from '@warden/api'
import { testBackends } from '@warden/db/testing'

import { startTestWarden, type TestWarden } from '../harness.ts'
import { exposeGc, fuzzRuns, fuzzTimeout, headerValue, retainedHeapMiB } from './fuzz-kit.ts'

const RUNS = fuzzRuns(800)
const MEMORY_RUNS = fuzzRuns(600)
const HEAP_GROWTH_MIB = 48

const procedures = appRouter._def.procedures as unknown as Record<
  string,
  { _def: { type: string; meta?: { access?: { kind: string } } } }
>
const PUBLIC = new Set(
  Object.entries(procedures)
    .filter(([, procedure]) => procedure._def.meta?.access?.kind === 'public')
    .map(([name]) => name),
)
// A's session must survive the run so that the tenant property keeps meaning something.
const FUZZED_PROCEDURES = Object.keys(procedures).filter(
  (name) => !['auth.logout', 'auth.logoutAll'].includes(name),
)

interface World {
  t: TestWarden
  ada: { accessToken: string; refreshToken: string }
  bob: { ids: string[]; marker: string; tenantId: string }
}

const text = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 10 }),
        fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uFFFE', '\u202E', '\r\n'),
        fc.string({ maxLength: 10 }),
      )
      .map(([before, odd, after]) => `${before}${odd}${after}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\uD800',
      '\uFFFF',
      '𝕳𝖊𝖑𝖑𝖔',
      ' ',
      '%00',
      "'; drop table project; --",
      'x'.repeat(5000),
    ),
  },
)

function inputs(world: World) {
  const id = fc.oneof(fc.constantFrom(...world.bob.ids), fc.uuid(), text)
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ id }),
    fc.record({ id: fc.constantFrom(...world.bob.ids) }),
    fc.record({ name: text }),
    fc.record({
      amount: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double(), text),
      description: text,
    }),
    fc.record({ tenantId: fc.oneof(fc.constant(world.bob.tenantId), fc.uuid(), text) }),
    fc.record(
      { email: fc.oneof(fc.emailAddress(), text), password: text, transport: text },
      { requiredKeys: [] },
    ),
    fc.record({
      refreshToken: fc.oneof(text, fc.constant(`wrt_${randomBytes(32).toString('base64url')}`)),
    }),
    fc.record({ userId: id, roles: fc.array(text, { maxLength: 3 }), revokeTokens: fc.boolean() }),
  )
}

const path = fc.oneof(
  fc.constantFrom(...FUZZED_PROCEDURES),
  fc.constantFrom(...FUZZED_PROCEDURES).map((name) => name.toUpperCase()),
  fc.constantFrom(
    '',
    '.',
    '..',
    'system',
    'system.',
    '.system.info',
    'system..info',
    '__proto__',
    'constructor',
    'toString',
    'system.info/../admin.users.list',
    'admin.users',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
)

/** Inputs shaped like each procedure's, with hostile values in every field. */
function shapedInput(world: World, procedure: string): fc.Arbitrary<unknown> {
  const id = fc.oneof(fc.constantFrom(...world.bob.ids), fc.uuid(), text)
  switch (procedure) {
    case 'auth.register':
      return fc.record(
        { email: fc.oneof(fc.emailAddress(), text), password: text, name: text },
        { requiredKeys: ['email', 'password'] },
      )
    case 'auth.login':
      return fc.record(
        {
          email: fc.oneof(fc.emailAddress(), text, fc.constant('ada@example.com')),
          password: text,
          transport: fc.oneof(fc.constantFrom('bearer', 'cookie'), text),
        },
        { requiredKeys: ['email', 'password'] },
      )
    case 'auth.refresh':
      return fc.record(
        { refreshToken: fc.oneof(text, fc.constant(`wrt_${'A'.repeat(43)}`)) },
        { requiredKeys: [] },
      )
    case 'auth.revokeSession':
    case 'projects.get':
    case 'projects.delete':
    case 'invoices.approve':
      return fc.record({ id })
    case 'projects.create':
      return fc.record({ name: text })
    case 'invoices.create':
      return fc.record({
        amount: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double(), text),
        description: text,
      })
    case 'invoices.list':
      return fc.record(
        { tenantId: fc.oneof(fc.constant(world.bob.tenantId), fc.uuid(), text) },
        { requiredKeys: [] },
      )
    case 'admin.users.setRoles':
      return fc.record({
        userId: id,
        roles: fc.array(fc.oneof(fc.constantFrom('admin', 'member', 'manager'), text), {
          maxLength: 3,
        }),
        revokeTokens: fc.boolean(),
      })
    default:
      return fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined })
  }
}

/** Calls the way a correct client makes them (method, content type), with hostile inputs. */
function shapedCalls(world: World): fc.Arbitrary<Call> {
  return fc
    .constantFrom(...FUZZED_PROCEDURES)
    .chain((procedure) =>
      fc.record({
        procedure: fc.constant(procedure),
        input: shapedInput(world, procedure),
        token: fc.oneof(
          { weight: 4, arbitrary: fc.constant(world.ada.accessToken) },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constant('x.y.z') },
        ),
      }),
    )
    .map(({ procedure, input, token }): Call => {
      const headers: Record<string, string> =
        token === undefined ? {} : { authorization: `Bearer ${token}` }
      const query = procedures[procedure]?._def.type === 'query'
      if (query) {
        const search =
          input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`
        return {
          url: `/trpc/${procedure}${search}`,
          init: { method: 'GET', headers },
          paths: [procedure],
          batch: false,
        }
      }
      return {
        url: `/trpc/${procedure}`,
        init: {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(input ?? null),
        },
        paths: [procedure],
        batch: false,
      }
    })
}

interface Call {
  readonly url: string
  readonly init: RequestInit
  /** The procedure paths of the call, in order (one unless batched). */
  readonly paths: readonly string[]
  readonly batch: boolean
}

function requests(world: World): fc.Arbitrary<Call> {
  const input = inputs(world)
  const encoded = fc.oneof(
    { weight: 4, arbitrary: input.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('{', '[1,2', '{"0":', 'null', '"', '{"0":{"json":1}}', '1e999'),
    },
  )
  const headers = fc.record(
    {
      authorization: fc.oneof(
        fc.constant(`Bearer ${world.ada.accessToken}`),
        headerValue(120),
        fc.constant('Bearer x.y.z'),
      ),
      cookie: fc.oneof(
        headerValue(200),
        fc.constant(`warden_rt=${world.ada.refreshToken}`),
        fc.constant(`__Host-warden_rt=wrt_${'A'.repeat(43)}; warden_rt=; warden_rt=x`),
      ),
      origin: fc.constantFrom(
        'https://app.example',
        'https://evil.example',
        'null',
        'http://localhost:3000',
      ),
      'content-type': fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=utf-16',
      ),
      'x-forwarded-for': headerValue(60),
    },
    { requiredKeys: [] },
  )
  const single = fc
    .record({
      path,
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      input: fc.option(encoded, { nil: undefined }),
      inBody: fc.boolean(),
      headers,
    })
    .map(({ path: name, method, input: value, inBody, headers: extra }): Call => {
      const query = value !== undefined && !inBody ? `?input=${encodeURIComponent(value)}` : ''
      const hasBody = inBody && value !== undefined && method !== 'GET' && method !== 'HEAD'
      return {
        url: `/trpc/${encodeURIComponent(name)}${query}`,
        init: { method, headers: extra, ...(hasBody ? { body: value } : {}) },
        paths: [name],
        batch: false,
      }
    })
  const batch = fc
    .record({
      paths: fc.array(path, { minLength: 1, maxLength: 60 }),
      inputs: fc.array(fc.option(input, { nil: undefined }), { maxLength: 60 }),
      raw: fc.option(encoded, { freq: 4, nil: undefined }),
      post: fc.boolean(),
      headers,
    })
    .map(({ paths, inputs: values, raw, post, headers: extra }): Call => {
      const body =
        raw ?? JSON.stringify(Object.fromEntries(values.map((value, index) => [index, value])))
      const list = paths.map((name) => encodeURIComponent(name)).join(',')
      return {
        url: post
          ? `/trpc/${list}?batch=1`
          : `/trpc/${list}?batch=1&input=${encodeURIComponent(body)}`,
        init: post ? { method: 'POST', headers: extra, body } : { method: 'GET', headers: extra },
        paths,
        batch: true,
      }
    })
  return fc.oneof(
    { weight: 3, arbitrary: shapedCalls(world) },
    { weight: 2, arbitrary: single },
    { weight: 2, arbitrary: batch },
  )
}

/** Checks one answer against every property of the table. */
async function check(world: World, call: Call, response: Response) {
  const label = `${call.init.method ?? 'GET'} ${call.url.slice(0, 300)}`
  expect(response.status, label).toBeLessThan(500)
  const text = await response.text()
  expect(text.includes(world.bob.marker), label).toBe(false)
  const authorization = new Headers(call.init.headers).get('authorization')
  const genuine = authorization?.trim() === `Bearer ${world.ada.accessToken}`
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return // Not tRPC's answer (404, a CORS preflight, a HEAD): nothing to grant.
  }
  const items: unknown[] = call.batch && Array.isArray(parsed) ? parsed : [parsed]
  items.forEach((item, index) => {
    const result = (item as { result?: { data?: unknown } } | null)?.result
    if (result === undefined) return
    const data = JSON.stringify(result.data ?? null)
    for (const id of world.bob.ids) expect(data.includes(id), `${label}: B's ${id}`).toBe(false)
    const name = call.paths[index] ?? ''
    if (!genuine) expect(PUBLIC.has(name), `${label}: result of ${name} without a token`).toBe(true)
  })
}

describe.each(testBackends())('fuzzed requests on %s', (backend) => {
  let world: World

  beforeAll(async () => {
    const t = await startTestWarden({ backend })
    const ada = await t.signUp('ada@example.com')
    const bob = await t.signUp('bob@example.com')
    const marker = `tenant-b-secret-${randomBytes(8).toString('hex')}`
    const ids: string[] = [bob.user.id]
    for (let i = 0; i < 3; i += 1) {
      const project = await t.call(
        'projects.create',
        { name: `${marker} project ${i}` },
        { token: bob.accessToken },
      )
      const invoice = await t.call(
        'invoices.create',
        { amount: 100 + i, description: `${marker} invoice ${i}` },
        { token: bob.accessToken },
      )
      ids.push((project.data as { id: string }).id, (invoice.data as { id: string }).id)
    }
    const sessions = (await t.call('auth.sessions', undefined, { token: bob.accessToken }))
      .data as { id: string }[]
    ids.push(...sessions.map((session) => session.id))
    const tenantId = (await t.call('system.whoami', undefined, { token: bob.accessToken }))
      .data as { tenantId: string }
    world = { t, ada, bob: { ids, marker, tenantId: tenantId.tenantId } }
  })
  afterAll(async () => {
    await world.t[Symbol.asyncDispose]()
  })

  it(
    'no request gets a 5xx, reaches a protected procedure without a token, or sees tenant B',
    async () => {
      await fc.assert(
        fc.asyncProperty(requests(world), async (call) => {
          const response = await world.t.request(call.url, call.init)
          await check(world, call, response)
        }),
        { numRuns: RUNS },
      )
      // A's session is intact: the properties above were checked with a working token.
      expect(
        (await world.t.call('system.whoami', undefined, { token: world.ada.accessToken })).status,
      ).toBe(200)
    },
    fuzzTimeout(RUNS, 150),
  )

  it(
    'memory stays bounded over many fuzzed requests',
    async () => {
      const gc = exposeGc()
      const arbitrary = requests(world)
      const sample = () => fc.sample(arbitrary, 100)
      for (const call of sample()) await (await world.t.request(call.url, call.init)).arrayBuffer()
      const warm = retainedHeapMiB(gc)
      for (let done = 0; done < MEMORY_RUNS; done += 100) {
        for (const call of sample())
          await (await world.t.request(call.url, call.init)).arrayBuffer()
      }
      const after = retainedHeapMiB(gc)
      expect(
        after - warm,
        `retained heap ${warm.toFixed(1)} → ${after.toFixed(1)} MiB`,
      ).toBeLessThan(HEAP_GROWTH_MIB)
    },
    fuzzTimeout(MEMORY_RUNS, 150),
  )
})
