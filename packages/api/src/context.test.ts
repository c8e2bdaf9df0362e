import { describe, expect, it } from 'vitest'

import { createManualClock, createTokenService, generateKeySet, loadKeySet } from '@warden/auth'

import { createContext, type AuthenticatedContext, type Context } from './context.ts'
import type { RequestMeta } from './request.ts'
import type { ApiServices } from './services.ts'

const ISSUER = 'https://warden.test'
const AUDIENCE = 'warden-api'

async function setUp() {
  const clock = createManualClock(Date.UTC(2026, 10, 24))
  const tokens = createTokenService({
    keys: await loadKeySet(await generateKeySet('EdDSA')),
    issuer: ISSUER,
    audience: AUDIENCE,
    clock,
  })
  const revoked = new Set<string>()
  const verified: string[] = []
  // Only what authentication reads; the rest of the services is never touched here.
  const services = {
    tokens: {
      ...tokens,
      verifyAccessToken: (token: string) => {
        verified.push(token)
        return tokens.verifyAccessToken(token)
      },
    },
    revocations: { isRevoked: (claims: { jti: string }) => revoked.has(claims.jti) },
  } as unknown as ApiServices
  // Typed with the views a protected handler sees, to show what they do everywhere else.
  const contextFor = (authorization: string | null) =>
    createContext({
      services,
      request: { authorization, tokenInUrl: false } as RequestMeta,
    }) as Context & AuthenticatedContext
  const { token, claims } = await tokens.issueAccessToken({
    sub: 'user-1',
    audience: AUDIENCE,
    clientId: 'warden',
    roles: ['member'],
  })
  return { contextFor, token, claims, revoked, verified }
}

/** What `auth()` answers, comparable across contexts: the status and, for a failure, its code. */
function outcome(ctx: Context) {
  const state = ctx.auth()
  return state.status === 'failed' ? `failed: ${state.error.code}` : state.status
}

// `principal` and `claims` are views for the handlers behind protectedProcedure (see trpc.ts);
// outside that, they must refuse to answer rather than answer for nobody.
describe('the request context', () => {
  it('verifies once, on first use, and remembers the outcome', async () => {
    const { contextFor, token } = await setUp()
    const ctx = contextFor(`Bearer ${token}`)
    expect(ctx.peekAuth()).toBeUndefined()
    const state = ctx.auth()
    expect(state.status).toBe('authenticated')
    expect(ctx.auth()).toBe(state)
    expect(ctx.peekAuth()).toBe(state)
  })

  it('exposes principal and claims once the caller is authenticated', async () => {
    const { contextFor, token, claims } = await setUp()
    const ctx = contextFor(`Bearer ${token}`)
    ctx.auth()
    expect(ctx.principal.sub).toBe('user-1')
    expect(ctx.principal.roles).toEqual(['member'])
    expect(ctx.claims.jti).toBe(claims.jti)
  })

  it.each([
    ['before authentication ran', (token: string) => `Bearer ${token}`, false],
    ['for an anonymous caller', () => null, true],
    ['for a forged token', (token: string) => `Bearer ${token.slice(0, -4)}AAAA`, true],
  ])('refuses principal and claims %s', async (_, header, runAuth) => {
    const { contextFor, token } = await setUp()
    const ctx = contextFor(header(token))
    if (runAuth) expect(ctx.auth().status).not.toBe('authenticated')
    expect(() => ctx.principal).toThrow(/only behind protectedProcedure/)
    expect(() => ctx.claims).toThrow(/only behind protectedProcedure/)
  })

  it('refuses principal and claims for a revoked token', async () => {
    const { contextFor, token, claims, revoked } = await setUp()
    revoked.add(claims.jti)
    const ctx = contextFor(`Bearer ${token}`)
    expect(ctx.auth()).toMatchObject({ status: 'failed', error: { code: 'revoked_token' } })
    expect(() => ctx.principal).toThrow(/only behind protectedProcedure/)
  })
})

// A cached token in `Bearer <token>` skips the RFC 6750 parse (see `authenticate`); that must
// change nothing but the cost.
describe('authentication of a token the cache holds', () => {
  it('takes it from the cache, without parsing or verifying again', async () => {
    const { contextFor, token, verified } = await setUp()
    const first = contextFor(`Bearer ${token}`).auth()
    expect(verified).toEqual([token])
    expect(contextFor(`Bearer ${token}`).auth()).toBe(first)
    expect(verified).toEqual([token])
  })

  it('still checks revocation on every request', async () => {
    const { contextFor, token, claims, revoked } = await setUp()
    expect(outcome(contextFor(`Bearer ${token}`))).toBe('authenticated')
    revoked.add(claims.jti)
    expect(outcome(contextFor(`Bearer ${token}`))).toBe('failed: revoked_token')
  })

  it.each([
    ['the canonical header', (t: string) => `Bearer ${t}`],
    ['the scheme in lower case', (t: string) => `bearer ${t}`],
    ['two spaces after the scheme', (t: string) => `Bearer  ${t}`],
    ['a space after the token', (t: string) => `Bearer ${t} `],
    ['a tab after the scheme', (t: string) => `Bearer\t${t}`],
    ['a character after the token', (t: string) => `Bearer ${t}x`],
    ['padding after the token', (t: string) => `Bearer ${t}==`],
    ['two headers joined by the HTTP stack', (t: string) => `Bearer ${t}, Bearer ${t}`],
    ['a second credential', (t: string) => `Bearer ${t},Basic dXNlcjpwYXNz`],
    ['no space after the scheme', (t: string) => `Bearer${t}`],
    ['another scheme', (t: string) => `Basic ${t}`],
  ])('answers %s exactly as for a token it has not seen', async (_, header) => {
    const cold = await setUp()
    const coldOutcome = outcome(cold.contextFor(header(cold.token)))
    const warm = await setUp()
    expect(outcome(warm.contextFor(`Bearer ${warm.token}`))).toBe('authenticated')
    expect(outcome(warm.contextFor(header(warm.token)))).toBe(coldOutcome)
  })
})
