/*
 * Key rotation without downtime, with two services: the main server signs, apps/reports verifies
 * by Warden's JWKS (5-minute max-age, 30-second cooldown on unknown kids). Users keep calling
 * both, and the reports service keeps calling the main server, while the key is staged,
 * promoted and finally dropped; the manual clock jumps by at most 600 s at a time.
 *
 * | phase                          | what must hold                                                    |
 * |--------------------------------|-------------------------------------------------------------------|
 * | throughout                     | no call fails                                                     |
 * | stage + 600 s                  | reports has fetched a JWKS holding the staged key before it signs |
 * | promote                        | tokens of the new key are accepted by reports with no extra fetch |
 * | prune (old key's lifetime over)| a token signed by the dropped key: 401 invalid_signature, both    |
 * | promote with no staging        | reports refuses the new key until its cooldown allows a refetch:  |
 * |                                | what staging prevents; one fetch per cooldown for unknown kids    |
 */
import { createPrivateKey, type JsonWebKey } from 'node:crypto'
import { readFileSync } from 'node:fs'

import { describe, expect, it, vi } from 'vitest'

import { generateKeySet, type JwkSet } from '@warden/auth'
import { forgeToken } from '@warden/auth/testing'
import { testBackends } from '@warden/db/testing'
import {
  retiredKeyLifetime,
  rotateKeyFile,
  STAGE_WAIT_SECONDS,
  type KeyRotationStep,
} from '@warden/server'

import { headerOf, invalidToken, startServices, trpc, type Services } from './harness.ts'

const TTL_S = 900
/** Each jump of the clock; a token is renewed with less than JUMP + margin left. */
const JUMP_S = 600
const RENEW_BELOW_S = JUMP_S + 60

interface Failure {
  readonly call: string
  readonly status: number
  readonly body: unknown
}

/**
 * A user client: one refresh token, an access token per audience traded for it at the token
 * endpoint (RFC 8707) when the one held runs low, and calls to both services, forever, until
 * stopped. Every answer but 200 is a failure.
 */
function startUserLoop(
  s: Services,
  user: Awaited<ReturnType<Services['signUp']>> & { invoiceCount: number },
) {
  let refreshToken = user.refreshToken
  const held = new Map<string, { token: string; exp: number }>()
  const state = {
    iterations: 0,
    failures: [] as Failure[],
    /** kid → calls reports accepted with a token it signed. */
    reportsKids: new Map<string, number>(),
    stopped: false,
  }
  const tokenFor = async (audience: string) => {
    const current = held.get(audience)
    if (current !== undefined && current.exp - s.clock.now() / 1000 > RENEW_BELOW_S) {
      return current.token
    }
    const answer = await s.token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      audience,
    })
    if (answer.status !== 200) {
      state.failures.push({ call: `token ${audience}`, status: answer.status, body: answer.json })
      return undefined
    }
    refreshToken = String(answer.json['refresh_token'])
    const token = String(answer.json['access_token'])
    held.set(audience, { token, exp: s.clock.now() / 1000 + Number(answer.json['expires_in']) })
    return token
  }
  const run = async () => {
    while (!state.stopped) {
      const apiToken = await tokenFor('warden-api')
      if (apiToken !== undefined) {
        const invoices = await trpc(s.mainUrl, 'invoices.list', { token: apiToken })
        if (invoices.status !== 200) {
          state.failures.push({
            call: 'invoices.list',
            status: invoices.status,
            body: invoices.json,
          })
        }
      }
      const reportsToken = await tokenFor('warden-reports')
      if (reportsToken !== undefined) {
        const summary = await trpc(s.reportsUrl, 'reports.tenantSummary', { token: reportsToken })
        const data = summary.json.result?.data as
          { tenantId: string; invoiceCount: number } | undefined
        if (
          summary.status !== 200 ||
          data?.tenantId !== user.tenantId ||
          data.invoiceCount !== user.invoiceCount
        ) {
          state.failures.push({ call: 'tenantSummary', status: summary.status, body: summary.json })
        } else {
          const kid = String(headerOf(reportsToken)['kid'])
          state.reportsKids.set(kid, (state.reportsKids.get(kid) ?? 0) + 1)
        }
      }
      state.iterations++
    }
  }
  const done = run()
  return {
    state,
    /** Drops the access tokens held: the next round trades for new ones. */
    forgetTokens: () => held.clear(),
    async stop() {
      state.stopped = true
      await done
    },
  }
}

/** A fresh, well-formed token signed by a private JWK (one only its holder could make). */
function signedBy(jwk: JsonWebKey, s: Services, claims: Record<string, unknown>) {
  const now = Math.floor(s.clock.now() / 1000)
  const payload: Record<string, unknown> = {
    iss: s.mainUrl,
    client_id: 'warden',
    iat: now,
    exp: now + 300,
    jti: `by-${String(jwk['kid'])}-${now}`,
    ...claims,
  }
  return forgeToken({
    header: { alg: 'EdDSA', typ: 'at+jwt', kid: String(jwk['kid']) },
    payload,
    sign: { alg: 'EdDSA', key: createPrivateKey({ key: jwk, format: 'jwk' }) },
  })
}

describe.each(testBackends())('key rotation with two services on %s', (backend) => {
  it(
    'stage, promote and drop while clients call both services: no call fails',
    { timeout: 120_000 },
    async () => {
      const original: JwkSet = await generateKeySet('EdDSA')
      const oldJwk = original.keys[0]
      if (oldJwk === undefined) throw new Error('no key')
      const oldKid = String(oldJwk['kid'])
      await using s = await startServices({ backend, keys: original })
      const config = s.warden.config
      expect(config.accessTokenTtl).toBe(TTL_S)

      const ada = { ...(await s.signUp('ada@example.com')), invoiceCount: 2 }
      const bob = { ...(await s.signUp('bob@example.com')), invoiceCount: 1 }
      await s.addInvoices(ada, [{ amount: 100 }, { amount: 200, approved: true }])
      await s.addInvoices(bob, [{ amount: 300 }])
      const loops = [startUserLoop(s, ada), startUserLoop(s, bob)]
      const failures = () => loops.flatMap((loop) => loop.state.failures)
      /** Lets every client make `calls` more rounds before the next step. */
      const progress = async (calls = 4) => {
        const targets = loops.map((loop) => loop.state.iterations + calls)
        await vi.waitFor(
          () => {
            expect(failures()).toEqual([])
            loops.forEach((loop, index) => {
              expect(loop.state.iterations).toBeGreaterThanOrEqual(targets[index] ?? 0)
            })
          },
          { timeout: 30_000, interval: 5 },
        )
      }
      const rotate = async (step: KeyRotationStep) => {
        const result = await rotateKeyFile(s.keyFile, {
          step,
          now: s.clock.now(),
          keepRetiredSeconds: retiredKeyLifetime(config),
        })
        await s.warden.reloadSigningKeys()
        return result
      }
      const jump = async (seconds: number) => {
        for (let left = seconds; left > 0; left -= JUMP_S) {
          s.clock.advance(Math.min(left, JUMP_S) * 1000)
          await progress()
        }
      }

      try {
        await progress()
        expect(s.jwksFetches.map((f) => f.kids)).toEqual([[oldKid]])

        const { staged } = await rotate('stage')
        if (staged === undefined) throw new Error('nothing staged')
        await progress()
        await jump(STAGE_WAIT_SECONDS)
        // Before the new key signs, reports holds a JWKS that has it (its cache turned over).
        expect(s.jwksFetches.at(-1)?.kids).toEqual([staged, oldKid])
        const fetchesBeforePromotion = s.jwksFetches.length

        const promoted = await rotate('promote')
        expect(promoted.promoted).toBe(staged)
        // The worst case: clients getting tokens of the new key the moment it signs.
        for (const loop of loops) loop.forgetTokens()
        await progress(6)
        for (const loop of loops) expect(loop.state.reportsKids.get(staged)).toBeGreaterThan(0)
        // No fetch for the new kid: it was known before its first token.
        expect(s.jwksFetches.length).toBe(fetchesBeforePromotion)
        // A token of the old key still opens both services until the key is dropped.
        const byOld = signedBy(oldJwk, s, {
          sub: ada.id,
          aud: 'warden-reports',
          scope: 'reports:read',
          roles: ['member'],
          tid: ada.tenantId,
        })
        expect((await trpc(s.reportsUrl, 'reports.tenantSummary', { token: byOld })).status).toBe(
          200,
        )

        await jump(retiredKeyLifetime(config) + 1)
        const pruned = await rotate('prune')
        expect(pruned.dropped).toEqual([oldKid])
        await progress()
        // Reports refetches when its JWKS is stale: the dropped key goes out of it too.
        await jump(JUMP_S)
        expect(s.jwksFetches.at(-1)?.kids).toEqual([staged])
      } finally {
        await Promise.all(loops.map((loop) => loop.stop()))
      }

      expect(failures()).toEqual([])
      const rounds = loops.map((loop) => loop.state.iterations)
      expect(Math.min(...rounds)).toBeGreaterThan(40)
      for (const loop of loops) expect(loop.state.reportsKids.get(oldKid)).toBeGreaterThan(0)

      for (const [url, procedure, aud] of [
        [s.reportsUrl, 'reports.tenantSummary', 'warden-reports'],
        [s.mainUrl, 'invoices.list', 'warden-api'],
      ] as const) {
        const token = signedBy(oldJwk, s, {
          sub: ada.id,
          aud,
          scope: aud === 'warden-api' ? 'invoices:read' : 'reports:read',
          roles: ['member'],
          tid: ada.tenantId,
        })
        const refused = await trpc(url, procedure, { token })
        expect(refused.status, url).toBe(401)
        expect(refused.json.error?.data.authError, url).toBe('invalid_signature')
        expect(refused.headers.get('www-authenticate'), url).toBe(invalidToken('invalid_signature'))
      }
      const published = JSON.parse(readFileSync(s.keyFile, 'utf8')) as JwkSet
      expect(published.keys.map((jwk) => jwk['kid'])).not.toContain(oldKid)
    },
  )

  it('without staging, reports refuses the new key until its cooldown allows one refetch per unknown kid', async () => {
    await using s = await startServices({ backend })
    const ada = await s.signUp('ada@example.com')
    const first = await s.tokenFor(ada.refreshToken, 'warden-reports')
    expect(
      (await trpc(s.reportsUrl, 'reports.tenantSummary', { token: first.accessToken })).status,
    ).toBe(200)
    expect(s.jwksFetches).toHaveLength(1)

    // The anti-pattern: a key that signs at once (stage and promote with force, no wait).
    await rotateKeyFile(s.keyFile, { step: 'stage', now: s.clock.now(), keepRetiredSeconds: 0 })
    const promoted = await rotateKeyFile(s.keyFile, {
      step: 'promote',
      now: s.clock.now(),
      keepRetiredSeconds: 0,
      force: true,
    })
    await s.warden.reloadSigningKeys()
    const fresh = await s.tokenFor(first.refreshToken, 'warden-reports')
    expect(headerOf(fresh.accessToken)['kid']).toBe(promoted.promoted)
    const refused = await trpc(s.reportsUrl, 'reports.tenantSummary', { token: fresh.accessToken })
    expect(refused.status).toBe(401)
    expect(refused.json.error?.data.authError).toBe('invalid_signature')
    expect(s.jwksFetches).toHaveLength(1) // within the 30-second cooldown: no refetch

    s.clock.advance(30_000)
    const accepted = await trpc(s.reportsUrl, 'reports.tenantSummary', { token: fresh.accessToken })
    expect(accepted.status).toBe(200)
    expect(s.jwksFetches).toHaveLength(2) // picked up without a restart
    expect(s.jwksFetches[1]?.kids[0]).toBe(promoted.promoted)

    // Unknown kids cost one fetch per cooldown, however many tokens name them.
    const stranger = (await generateKeySet('EdDSA')).keys[0]
    if (stranger === undefined) throw new Error('no key')
    const claims = { sub: ada.id, aud: 'warden-reports', scope: 'reports:read', tid: ada.tenantId }
    for (let i = 0; i < 5; i++) {
      const answer = await trpc(s.reportsUrl, 'reports.tenantSummary', {
        token: signedBy(stranger, s, claims),
      })
      expect(answer.json.error?.data.authError).toBe('invalid_signature')
    }
    expect(s.jwksFetches).toHaveLength(2)
    s.clock.advance(30_000)
    await trpc(s.reportsUrl, 'reports.tenantSummary', { token: signedBy(stranger, s, claims) })
    expect(s.jwksFetches).toHaveLength(3)
  })
})
