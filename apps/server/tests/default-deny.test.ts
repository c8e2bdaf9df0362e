import { describe, expect, it } from 'vitest'

import { appRouter, type ProcedureMeta } from '@warden/api'
import { testBackends } from '@warden/db/testing'

import { startTestWarden } from './harness.ts'

const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: string; meta?: ProcedureMeta } }
  >,
)

describe('default deny', () => {
  it('every procedure is either explicitly public or guarded by a named policy', () => {
    expect(procedures.length).toBeGreaterThan(15)
    const undeclared = procedures.filter(
      ([, procedure]) => procedure._def.meta?.access === undefined,
    )
    expect(undeclared.map(([path]) => path)).toEqual([])
  })

  it('lists exactly the public procedures of INTERFACE.md', () => {
    const isPublic = procedures
      .filter(([, procedure]) => procedure._def.meta?.access?.kind === 'public')
      .map(([path]) => path)
      .sort()
    expect(isPublic).toEqual(['auth.login', 'auth.refresh', 'auth.register', 'system.info'])
  })

  describe.each(testBackends())('on %s', (backend) => {
    it('an anonymous caller reaches only the public procedures: every other one is 401', async () => {
      await using t = await startTestWarden({ backend })
      for (const [path, procedure] of procedures) {
        const access = procedure._def.meta?.access
        const result = await t.call(path, undefined)
        if (access?.kind === 'public') {
          expect(result.status, path).not.toBe(401)
          continue
        }
        expect(result.status, path).toBe(401)
        expect(result.response.headers.get('www-authenticate'), path).toBe('Bearer realm="warden"')
        expect(result.error?.data.authError, path).toBe('missing_token')
      }
    })
  })
})
