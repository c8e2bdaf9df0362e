/*
 * Default deny in the reports service: every procedure declares a policy, and none answers an
 * anonymous caller (walked from the router, so a new procedure is covered without a new test).
 */
import { describe, expect, it } from 'vitest'

import { createRemoteVerifier } from '@warden/auth'

import { createReportsApp, reportsRouter } from '../src/index.ts'

interface ProcedureDef {
  _def: { type: string; meta?: { access?: { kind: string } } }
}

const procedures = Object.entries(
  reportsRouter._def.procedures as unknown as Record<string, ProcedureDef>,
)

describe('reports default deny', () => {
  it('has procedures, each guarded by a policy', () => {
    expect(procedures.map(([path]) => path)).toEqual(['reports.tenantSummary'])
    for (const [path, procedure] of procedures) {
      expect(procedure._def.meta?.access?.kind, path).toBe('policy')
    }
  })

  it('answers every procedure 401 to an anonymous caller, before any call to Warden', async () => {
    let wardenCalls = 0
    const app = createReportsApp({
      verifier: createRemoteVerifier({
        jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
        issuer: 'http://127.0.0.1:9',
        audience: 'warden-reports',
        fetch: () => {
          wardenCalls++
          return Promise.reject(new Error('no JWKS in this test'))
        },
      }),
      mainApiUrl: 'http://127.0.0.1:9',
      tokenUrl: 'http://127.0.0.1:9/oauth/token',
      clientId: 'reports',
      clientSecret: 'unused',
      fetch: () => {
        wardenCalls++
        return Promise.reject(new Error('no Warden in this test'))
      },
    })
    for (const [path, procedure] of procedures) {
      const method = procedure._def.type === 'query' ? 'GET' : 'POST'
      const response = await app.request(`/trpc/${path}`, { method })
      expect(response.status, path).toBe(401)
      expect(response.headers.get('www-authenticate'), path).toBe('Bearer realm="warden"')
    }
    expect(wardenCalls).toBe(0)
  })

  it('answers 503 when a token arrives and no JWKS can be loaded', async () => {
    const app = createReportsApp({
      verifier: createRemoteVerifier({
        jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
        issuer: 'http://127.0.0.1:9',
        audience: 'warden-reports',
        fetch: () => Promise.reject(new Error('unreachable')),
      }),
      mainApiUrl: 'http://127.0.0.1:9',
      tokenUrl: 'http://127.0.0.1:9/oauth/token',
      clientId: 'reports',
      clientSecret: 'unused',
    })
    const response = await app.request('/trpc/reports.tenantSummary', {
      headers: { authorization: 'Bearer a.b.c' },
    })
    expect(response.status).toBe(503)
    const body = (await response.json()) as { error: { data: Record<string, unknown> } }
    expect(body.error.data['code']).toBe('SERVICE_UNAVAILABLE')
    expect(body.error.data).not.toHaveProperty('authError')
  })
})
