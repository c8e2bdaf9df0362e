/*
 * Fuzzing the Authorization header of protected procedures: random header values, random
 * compact-JWS shapes, and chains of mutations of a genuine token (characters flipped, inserted,
 * deleted, case-toggled, segments truncated, swapped, duplicated or taken from another user's
 * token, scheme and spacing varied).
 *
 * | property                                                  | expected                          |
 * |-----------------------------------------------------------|-----------------------------------|
 * | any answer                                                | 200, 400 or 401 — never a 5xx     |
 * | a 200                                                     | only for `Bearer <genuine token>` |
 * |                                                           | exactly, answering as its owner   |
 * | a 401 / a 400                                             | with the interface's challenge    |
 * | projects.create                                           | creates exactly one project per   |
 * |                                                           | genuine header, none otherwise    |
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { startTestWarden, type TestWarden, type TrpcEnvelope } from '../harness.ts'
import { base64urlText, fuzzRuns, fuzzTimeout, headerValue } from './fuzz-kit.ts'

const RUNS = fuzzRuns(600)
const BEARER = /^bearer +(\S+)$/i
// What `Headers` strips from a value: HTTP whitespace only (String#trim would also eat U+00A0).
const httpTrim = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '')

type Mutation = (token: string, other: string) => string

const at = (text: string, fraction: number) => Math.floor(fraction * text.length)
const segments = (token: string) => token.split('.')
const tokenChar = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=~ '.split(''),
)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), tokenChar).map(
    ([where, char]): Mutation =>
      (token) =>
        `${token.slice(0, at(token, where))}${char}${token.slice(at(token, where) + 1)}`,
  ),
  fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), tokenChar).map(
    ([where, char]): Mutation =>
      (token) =>
        `${token.slice(0, at(token, where))}${char}${token.slice(at(token, where))}`,
  ),
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map(
    (where): Mutation =>
      (token) =>
        `${token.slice(0, at(token, where))}${token.slice(at(token, where) + 1)}`,
  ),
  fc
    .double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
    .map((where): Mutation => (token) => {
      const index = at(token, where)
      const char = token.charAt(index)
      const toggled = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase()
      return `${token.slice(0, index)}${toggled}${token.slice(index + 1)}`
    }),
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map(
    (where): Mutation =>
      (token) =>
        token.slice(0, at(token, where)),
  ),
  fc.tuple(fc.nat(2), fc.nat(2)).map(([a, b]): Mutation => (token) => {
    const parts = segments(token)
    const first = parts[a]
    parts[a] = parts[b] ?? ''
    parts[b] = first ?? ''
    return parts.join('.')
  }),
  fc.nat(2).map((index): Mutation => (token, other) => {
    const parts = segments(token)
    parts[index] = segments(other)[index] ?? ''
    return parts.join('.')
  }),
  fc.nat(2).map(
    (index): Mutation =>
      (token) =>
        `${token}.${segments(token)[index] ?? ''}`,
  ),
  fc.constantFrom<Mutation>(
    (token) => `${token}=`,
    (token) => `${token}==`,
    (token) => token.replace(/-/g, '+').replace(/_/g, '/'),
    (token) => segments(token).slice(0, 2).join('.'),
    (token) => `${segments(token).slice(0, 2).join('.')}.`,
  ),
)

const scheme = fc.constantFrom(
  'Bearer ',
  'bearer ',
  'BEARER ',
  'Bearer  ',
  'Bearer\t',
  'Bearer',
  'Basic ',
  'Token ',
  '',
  'Bearer Bearer ',
)

async function present(t: TestWarden, authorization: string, procedure: 'whoami' | 'create') {
  const response =
    procedure === 'whoami'
      ? await t.request('/trpc/system.whoami', { headers: { authorization } })
      : await t.request('/trpc/projects.create', {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'fuzz' }),
        })
  const body = (await response.json()) as TrpcEnvelope
  return { response, body }
}

describe.each(testBackends())('fuzzed Authorization headers on %s', (backend) => {
  let t: TestWarden
  const genuine = new Map<string, string>() // token → user id

  beforeAll(async () => {
    t = await startTestWarden({ backend })
    for (const email of ['ada@example.com', 'bob@example.com']) {
      const session = await t.signUp(email)
      genuine.set(session.accessToken, session.user.id)
    }
  })
  afterAll(async () => {
    await t[Symbol.asyncDispose]()
  })

  /** Checks one answer against the properties; returns whether it was a genuine success. */
  function check(
    authorization: string,
    { response, body }: Awaited<ReturnType<typeof present>>,
  ): boolean {
    const status = response.status
    expect([200, 400, 401], authorization).toContain(status)
    const token = BEARER.exec(httpTrim(authorization))?.[1]
    const owner = token === undefined ? undefined : genuine.get(token)
    if (status === 200) {
      expect(owner, `granted: ${JSON.stringify(authorization)}`).toBeDefined()
      return true
    }
    expect(owner, `refused a genuine token: ${JSON.stringify(authorization)}`).toBeUndefined()
    expect(body.result).toBeUndefined()
    const challenge = response.headers.get('www-authenticate') ?? ''
    expect(challenge.startsWith('Bearer realm="warden"'), challenge).toBe(true)
    if (status === 400) expect(body.error?.data.authError).toBe('invalid_request')
    return false
  }

  let created = 0

  it(
    'random header values and JWS-shaped junk never grant access or crash',
    async () => {
      const junk = fc.oneof(
        headerValue(300),
        fc
          .array(base64urlText(120), { minLength: 1, maxLength: 7 })
          .map((parts) => `Bearer ${parts.join('.')}`),
        fc.tuple(scheme, headerValue(120)).map(([prefix, rest]) => `${prefix}${rest}`),
      )
      await fc.assert(
        fc.asyncProperty(junk, fc.boolean(), async (authorization, mutate) => {
          const answer = await present(t, authorization, mutate ? 'create' : 'whoami')
          if (check(authorization, answer) && mutate) created += 1
        }),
        { numRuns: RUNS },
      )
    },
    fuzzTimeout(RUNS, 40),
  )

  it(
    'mutations of a genuine token never grant access, unless they give back a genuine header',
    async () => {
      const tokens = [...genuine.keys()]
      await fc.assert(
        fc.asyncProperty(
          fc.nat(1),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          scheme,
          fc.boolean(),
          async (which, mutations, prefix, mutate) => {
            const original = tokens[which] ?? ''
            const other = tokens[1 - which] ?? ''
            const token = mutations.reduce((current, apply) => apply(current, other), original)
            const authorization = `${prefix}${token}`
            const answer = await present(t, authorization, mutate ? 'create' : 'whoami')
            const granted = check(authorization, answer)
            if (granted && mutate) created += 1
            if (granted && !mutate) {
              const data = answer.body.result?.data as { sub: string }
              expect(data.sub).toBe(genuine.get(BEARER.exec(httpTrim(authorization))?.[1] ?? ''))
            }
          },
        ),
        { numRuns: RUNS },
      )
    },
    fuzzTimeout(RUNS, 40),
  )

  it('projects were created only by genuine headers', async () => {
    const row = await t.database.kysely
      .selectFrom('project')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(row.n)).toBe(created)
  })
})
