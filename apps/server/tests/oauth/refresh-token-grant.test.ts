/*
 * POST /oauth/token, grant_type=refresh_token (RFC 6749 §6), with RFC 8707 resource
 * indicators: how a user gets a token for another service, one audience per token.
 *
 * | request                                                          | answer                           |
 * |------------------------------------------------------------------|----------------------------------|
 * | refresh_token                                                    | 200, API token as auth.refresh gives, rotated refresh token |
 * | + audience=warden-reports (or resource=)                         | 200, aud warden-reports, scope reports:read, tid, roles |
 * | the used refresh token again, within / past REFRESH_REUSE_INTERVAL | same successor / invalid_grant, family revoked |
 * | an audience not in AUTH_USER_AUDIENCES                           | 400 invalid_target, token not used up |
 * | a scope the audience does not offer                              | 400 invalid_scope, token not used up |
 * | scope narrowed                                                   | 200, narrowed                    |
 * | client credentials with it (wrong · right)                       | 401 invalid_client · 400 invalid_grant |
 * | unknown, malformed, or a service client's refresh token          | 400 invalid_grant                |
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { scopeForRoles } from '@warden/api'
import { generateRefreshToken, hashRefreshToken } from '@warden/auth'
import { createRefreshFamily } from '@warden/db'
import { testBackends } from '@warden/db/testing'

import { ConfigError, parseConfig } from '../../src/index.ts'
import { invalidToken } from '../harness.ts'
import {
  claimsOf,
  startSocketWarden,
  type SocketWarden,
  type TokenAnswer,
} from './socket-warden.ts'

function expectGrantError(answer: TokenAnswer, error: string) {
  expect(answer.status, JSON.stringify(answer.json)).toBe(400)
  expect(answer.json['error']).toBe(error)
  expect(answer.headers.get('cache-control')).toBe('no-store')
  expect(answer.headers.get('www-authenticate')).toBeNull()
}

describe.each(testBackends())('the refresh_token grant over a socket on %s', (backend) => {
  let w: SocketWarden

  beforeAll(async () => {
    w = await startSocketWarden({ backend })
  })
  afterAll(async () => {
    await w.close()
  })

  const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
    w.token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra })

  it('rotates like auth.refresh and issues the same API token', async () => {
    const ada = await w.signUp('ada@example.com')
    const answer = await refresh(ada.refreshToken)
    expect(answer.status, JSON.stringify(answer.json)).toBe(200)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(answer.json).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.stringMatching(/^wrt_/),
      scope: scopeForRoles(['member']),
    })
    expect(answer.json['refresh_token']).not.toBe(ada.refreshToken)
    const claims = claimsOf(String(answer.json['access_token']))
    const login = claimsOf(ada.accessToken)
    for (const claim of ['iss', 'sub', 'aud', 'client_id', 'roles', 'scope', 'tid']) {
      expect(claims[claim], claim).toEqual(login[claim])
    }
    const me = await w.call('auth.me', { token: String(answer.json['access_token']) })
    expect(me.status).toBe(200)
  })

  it('gives the same successor within the reuse interval, and revokes the family on a later reuse', async () => {
    const bob = await w.signUp('bob@example.com')
    const first = await refresh(bob.refreshToken)
    const again = await refresh(bob.refreshToken)
    expect(again.status).toBe(200)
    expect(again.json['refresh_token']).toBe(first.json['refresh_token'])
    w.clock.advance(11_000)
    expectGrantError(await refresh(bob.refreshToken), 'invalid_grant')
    // Theft detected: the successor dies with its family.
    expectGrantError(await refresh(String(first.json['refresh_token'])), 'invalid_grant')
  })

  it('issues a user token for warden-reports (RFC 8707): one audience, reports:read, tenant and roles', async () => {
    const cy = await w.signUp('cy@example.com')
    const viaAudience = await refresh(cy.refreshToken, { audience: 'warden-reports' })
    expect(viaAudience.status, JSON.stringify(viaAudience.json)).toBe(200)
    expect(viaAudience.json['scope']).toBe('reports:read')
    const claims = claimsOf(String(viaAudience.json['access_token']))
    const login = claimsOf(cy.accessToken)
    expect(claims).toMatchObject({
      aud: 'warden-reports',
      scope: 'reports:read',
      sub: login['sub'],
      tid: login['tid'],
      roles: ['member'],
      client_id: 'warden',
      iss: w.url,
    })
    // The refresh token rotated as usual, and `resource` works as well.
    const viaResource = await refresh(String(viaAudience.json['refresh_token']), {
      resource: 'warden-reports',
    })
    expect(viaResource.status).toBe(200)
    expect(claimsOf(String(viaResource.json['access_token']))['aud']).toBe('warden-reports')
    // A reports token does not open the API.
    const onApi = await w.call('projects.list', { token: String(viaAudience.json['access_token']) })
    expect(onApi.status).toBe(401)
    expect(onApi.json.error?.data.authError).toBe('wrong_audience')
    expect(onApi.headers.get('www-authenticate')).toBe(invalidToken('wrong_audience'))
    // And the API is still reachable with an API token from the same family.
    const back = await refresh(String(viaResource.json['refresh_token']))
    expect(claimsOf(String(back.json['access_token']))['aud']).toBe('warden-api')
  })

  it('refuses an audience or scope it would not issue, before using the refresh token up', async () => {
    const dee = await w.signUp('dee@example.com')
    expectGrantError(
      await refresh(dee.refreshToken, { audience: 'warden-billing' }),
      'invalid_target',
    )
    expectGrantError(
      await refresh(dee.refreshToken, { audience: 'warden-api', resource: 'warden-reports' }),
      'invalid_target',
    )
    expectGrantError(
      await w.token(
        `grant_type=refresh_token&refresh_token=${dee.refreshToken}&resource=warden-api&resource=warden-reports`,
      ),
      'invalid_target',
    )
    expectGrantError(
      await refresh(dee.refreshToken, { audience: 'warden-reports', scope: 'invoices:read' }),
      'invalid_scope',
    )
    expectGrantError(
      await refresh(dee.refreshToken, { scope: 'projects:read admin:everything' }),
      'invalid_scope',
    )
    // Past the reuse interval: had any refusal used the token up, this would revoke the family.
    w.clock.advance(11_000)
    const narrowed = await refresh(dee.refreshToken, { scope: 'projects:read' })
    expect(narrowed.status, JSON.stringify(narrowed.json)).toBe(200)
    expect(narrowed.json['scope']).toBe('projects:read')
    expect(claimsOf(String(narrowed.json['access_token']))['scope']).toBe('projects:read')
  })

  it('refuses client authentication with a user’s refresh token, and unknown or service tokens', async () => {
    const eve = await w.signUp('eve@example.com')
    const secret = await w.createClient({ id: 'svc', audiences: ['warden-api'] })
    const wrong = await w.token(
      { grant_type: 'refresh_token', refresh_token: eve.refreshToken },
      { basic: ['svc', 'wrong'] },
    )
    expect(wrong.status).toBe(401)
    expect(wrong.json['error']).toBe('invalid_client')
    expectGrantError(
      await w.token(
        { grant_type: 'refresh_token', refresh_token: eve.refreshToken },
        { basic: ['svc', secret] },
      ),
      'invalid_grant',
    )
    expectGrantError(await refresh(generateRefreshToken()), 'invalid_grant')
    expectGrantError(await refresh(eve.accessToken), 'invalid_grant')
    expectGrantError(await w.token({ grant_type: 'refresh_token' }), 'invalid_request')

    const serviceToken = generateRefreshToken()
    await createRefreshFamily(w.database.kysely, {
      subject: { clientId: 'svc' },
      audience: 'warden-api',
      tokenHash: hashRefreshToken(serviceToken),
      now: new Date(w.clock.now()),
      ttlMs: 3600_000,
      maxAgeMs: 3600_000,
    })
    expectGrantError(await refresh(serviceToken), 'invalid_grant')
    // The user's token was never used up by those refusals.
    w.clock.advance(11_000)
    expect((await refresh(eve.refreshToken)).status).toBe(200)
  })
})

describe('user audiences configuration', () => {
  it('issues no reports token when AUTH_USER_AUDIENCES does not list it', async () => {
    await using w = await startSocketWarden({ backend: 'pglite', env: { AUTH_USER_AUDIENCES: '' } })
    const ada = await w.signUp('ada@example.com')
    expectGrantError(
      await w.token({
        grant_type: 'refresh_token',
        refresh_token: ada.refreshToken,
        audience: 'warden-reports',
      }),
      'invalid_target',
    )
  })

  it('refuses an audience without scopes, or the API audience itself, at start', () => {
    const parse = (value: string) => () =>
      parseConfig({ AUTH_USER_AUDIENCES: value }, { cwd: process.cwd() })
    expect(parse('warden-reports, warden-reports')().userAudiences).toEqual(['warden-reports'])
    expect(parse('warden-billing')).toThrow(ConfigError)
    expect(parse('warden-api')).toThrow(/AUTH_USER_AUDIENCES/)
    expect(parse('')().userAudiences).toEqual([])
  })
})
