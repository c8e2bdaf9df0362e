/*
 * apps/reports against the real main server, both over real sockets: `reports.tenantSummary`,
 * and a token for one service never opening the other.
 *
 * | call                                                                | answer                          |
 * |---------------------------------------------------------------------|---------------------------------|
 * | user token for warden-reports (reports:read), invoices in 2 tenants  | 200, the caller's tenant only   |
 * | ... with another tenant's id as input                               | 200, still the caller's tenant  |
 * | warden-reports token without reports:read · a service's token       | 403 insufficient_scope          |
 * | warden-api token to reports · reports token to the API               | 401 wrong_audience (both ways)  |
 * | token of another issuer (same keys) · of an unknown key · expired     | 401 wrong_issuer · invalid_signature · expired_token |
 * | none · malformed header · token in the URL                           | 401 (no error) · 400 · 400      |
 * | the reports client disabled at Warden                                | 502, no authError passed on     |
 */
import { createPrivateKey } from 'node:crypto'

import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generateKeySet, type JwkSet } from '@warden/auth'
import { forgeToken } from '@warden/auth/testing'
import { setServiceClientEnabled } from '@warden/db'
import { testBackends } from '@warden/db/testing'

import type { ReportsRouter, TenantSummary } from '../src/index.ts'
import { invalidToken, startServices, trpc, type Services } from './harness.ts'

const SUMMARY = 'reports.tenantSummary'

describe.each(testBackends())('reports.tenantSummary over sockets on %s', (backend) => {
  let s: Services
  let keys: JwkSet
  let ada: Awaited<ReturnType<Services['signUp']>>
  let bob: Awaited<ReturnType<Services['signUp']>>
  let adaReports: string

  beforeAll(async () => {
    keys = await generateKeySet('EdDSA')
    s = await startServices({ backend, keys })
    ada = await s.signUp('ada@example.com')
    bob = await s.signUp('bob@example.com')
    await s.addInvoices(ada, [
      { amount: 1000, approved: true },
      { amount: 250 },
      { amount: 4000, approved: true },
    ])
    await s.addInvoices(bob, [{ amount: 99_999 }])
    const traded = await s.tokenFor(ada.refreshToken, 'warden-reports')
    adaReports = traded.accessToken
    ada = { ...ada, refreshToken: traded.refreshToken }
  })
  afterAll(async () => {
    await s.close()
  })

  it("sums the caller's own tenant only, read from Warden with the service's own token", async () => {
    const answer = await trpc(s.reportsUrl, SUMMARY, { token: adaReports })
    expect(answer.status, JSON.stringify(answer.json)).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    const expected: TenantSummary = {
      tenantId: ada.tenantId,
      invoiceCount: 3,
      pendingCount: 1,
      approvedCount: 2,
      totalAmount: 5250,
      approvedAmount: 5000,
    }
    expect(answer.json.result?.data).toEqual(expected)

    const bobs = await s.tokenFor(bob.refreshToken, 'warden-reports')
    bob = { ...bob, refreshToken: bobs.refreshToken }
    const bobAnswer = await trpc(s.reportsUrl, SUMMARY, { token: bobs.accessToken })
    expect(bobAnswer.json.result?.data).toMatchObject({
      tenantId: bob.tenantId,
      invoiceCount: 1,
      totalAmount: 99_999,
    })

    // The typed client reads the same; the tenant never comes from the input.
    const client = createTRPCClient<ReportsRouter>({
      links: [
        httpLink({
          url: `${s.reportsUrl}/trpc`,
          headers: { authorization: `Bearer ${adaReports}` },
        }),
      ],
    })
    expect(await client.reports.tenantSummary.query()).toEqual(expected)
    const naming = await trpc(s.reportsUrl, SUMMARY, {
      token: adaReports,
      input: { tenantId: bob.tenantId },
    })
    expect(naming.json.result?.data).toEqual(expected)

    // Warden saw the reports service, not Ada, read the invoices.
    const issued = s.mainLog.filter((line) => line.includes('"path":"/oauth/token"'))
    expect(issued.length).toBeGreaterThan(0)
    expect(s.mainLog.some((line) => line.includes('"userId":"reports"'))).toBe(true)
  })

  it('refuses a reports token without reports:read, and a service token, with 403', async () => {
    const noScope = await s.warden.services.tokens.issueAccessToken({
      sub: ada.id,
      audience: 'warden-reports',
      clientId: 'warden',
      roles: ['member'],
      tenantId: ada.tenantId,
    })
    const service = await s.warden.services.tokens.issueAccessToken({
      sub: 'reports',
      audience: 'warden-reports',
      clientId: 'reports',
      scope: 'reports:read',
    })
    for (const token of [noScope.token, service.token]) {
      const answer = await trpc(s.reportsUrl, SUMMARY, { token })
      expect(answer.status).toBe(403)
      expect(answer.json.error?.data.authError).toBe('insufficient_scope')
      expect(answer.headers.get('www-authenticate')).toBe(
        'Bearer realm="warden", error="insufficient_scope"',
      )
    }
  })

  it('refuses a warden-api token at reports, and a reports token at the API: 401 wrong_audience', async () => {
    const toReports = await trpc(s.reportsUrl, SUMMARY, { token: ada.accessToken })
    expect(toReports.status).toBe(401)
    expect(toReports.json.error?.data.authError).toBe('wrong_audience')
    expect(toReports.headers.get('www-authenticate')).toBe(invalidToken('wrong_audience'))

    for (const procedure of ['invoices.list', 'auth.me', 'system.whoami']) {
      const toApi = await trpc(s.mainUrl, procedure, { token: adaReports })
      expect(toApi.status, procedure).toBe(401)
      expect(toApi.json.error?.data.authError, procedure).toBe('wrong_audience')
      expect(toApi.headers.get('www-authenticate'), procedure).toBe(invalidToken('wrong_audience'))
    }
  })

  it('refuses a token of another issuer that shares the keys (wrong_issuer) and of an unknown key', async () => {
    await using other = await startServices({ backend, keys, database: s.database, mainOnly: true })
    const foreign = await other.warden.services.tokens.issueAccessToken({
      sub: ada.id,
      audience: 'warden-reports',
      clientId: 'warden',
      roles: ['member'],
      scope: 'reports:read',
      tenantId: ada.tenantId,
    })
    const wrongIssuer = await trpc(s.reportsUrl, SUMMARY, { token: foreign.token })
    expect(wrongIssuer.status).toBe(401)
    expect(wrongIssuer.json.error?.data.authError).toBe('wrong_issuer')

    const stranger = (await generateKeySet('EdDSA')).keys[0]
    if (stranger === undefined) throw new Error('no key')
    const now = Math.floor(s.clock.now() / 1000)
    const payload: Record<string, unknown> = {
      iss: s.mainUrl,
      sub: ada.id,
      aud: 'warden-reports',
      client_id: 'warden',
      scope: 'reports:read',
      tid: ada.tenantId,
      iat: now,
      exp: now + 300,
      jti: 'stranger',
    }
    const unknownKey = forgeToken({
      header: { alg: 'EdDSA', typ: 'at+jwt', kid: String(stranger['kid']) },
      payload,
      sign: { alg: 'EdDSA', key: createPrivateKey({ key: stranger, format: 'jwk' }) },
    })
    const refused = await trpc(s.reportsUrl, SUMMARY, { token: unknownKey })
    expect(refused.status).toBe(401)
    expect(refused.json.error?.data.authError).toBe('invalid_signature')
  })

  it('answers missing, malformed and misplaced credentials as the API does', async () => {
    const none = await trpc(s.reportsUrl, SUMMARY)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="warden"')
    expect(none.json.error?.data.authError).toBe('missing_token')
    const malformed = await trpc(s.reportsUrl, SUMMARY, {
      headers: { authorization: `Bearer ${adaReports}, Bearer ${adaReports}` },
    })
    expect(malformed.status).toBe(400)
    expect(malformed.json.error?.data.authError).toBe('invalid_request')
    const inUrl = await fetch(`${s.reportsUrl}/trpc/${SUMMARY}?access_token=${adaReports}`)
    expect(inUrl.status).toBe(400)
    expect(inUrl.headers.get('www-authenticate')).toBe(
      'Bearer realm="warden", error="invalid_request"',
    )
    expect((await fetch(`${s.reportsUrl}/health`)).status).toBe(200)
    expect((await fetch(`${s.reportsUrl}/nothing`)).status).toBe(404)
  })

  it('refuses an expired token with expired_token', async () => {
    const { token } = await s.warden.services.tokens.issueAccessToken({
      sub: ada.id,
      audience: 'warden-reports',
      clientId: 'warden',
      roles: ['member'],
      scope: 'reports:read',
      tenantId: ada.tenantId,
      ttl: 60,
    })
    expect((await trpc(s.reportsUrl, SUMMARY, { token })).status).toBe(200)
    s.clock.advance(60_000)
    const expired = await trpc(s.reportsUrl, SUMMARY, { token })
    expect(expired.status).toBe(401)
    expect(expired.json.error?.data.authError).toBe('expired_token')
    expect(expired.headers.get('www-authenticate')).toBe(invalidToken('expired_token'))
  })

  it("answers 502 without passing Warden's refusal of the service on as the caller's", async () => {
    const fresh = await s.tokenFor(ada.refreshToken, 'warden-reports')
    ada = { ...ada, refreshToken: fresh.refreshToken }
    await setServiceClientEnabled(s.database.kysely, {
      id: 'reports',
      enabled: false,
      now: new Date(s.clock.now()),
    })
    try {
      // The service's cached token may still be good: let it expire, so it must ask again.
      s.clock.advance(900_000)
      const renewed = await s.tokenFor(ada.refreshToken, 'warden-reports')
      ada = { ...ada, refreshToken: renewed.refreshToken }
      const answer = await trpc(s.reportsUrl, SUMMARY, { token: renewed.accessToken })
      expect(answer.status).toBe(502)
      expect(answer.json.error?.data.code).toBe('BAD_GATEWAY')
      expect(answer.json.error?.data).not.toHaveProperty('authError')
      expect(answer.headers.get('www-authenticate')).toBeNull()
      expect(s.reportsLog.some((line) => line.includes('Warden API call failed'))).toBe(true)
    } finally {
      await setServiceClientEnabled(s.database.kysely, {
        id: 'reports',
        enabled: true,
        now: new Date(s.clock.now()),
      })
    }
    const client = createTRPCClient<ReportsRouter>({
      links: [httpLink({ url: `${s.reportsUrl}/trpc` })],
    })
    await expect(client.reports.tenantSummary.query()).rejects.toBeInstanceOf(TRPCClientError)
  })
})
