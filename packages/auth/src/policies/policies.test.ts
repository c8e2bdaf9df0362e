import { describe, expect, expectTypeOf, it } from 'vitest'

import {
  all,
  allScopes,
  any,
  anyRole,
  authenticated,
  claimIn,
  definePolicy,
  evaluatePolicy,
  principalFromClaims,
  requirement,
  sameTenant,
  userOnly,
  type AccessTokenClaims,
  type Decision,
  type Policy,
  type Principal,
} from '../index.ts'

function claims(overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims {
  return {
    iss: 'https://auth.warden.test',
    sub: 'user-1',
    aud: 'warden-api',
    iat: 1,
    exp: 2,
    jti: 'j',
    client_id: 'warden',
    ...overrides,
  }
}

const member = principalFromClaims(
  claims({ roles: ['member'], scope: 'projects:read invoices:read', tid: 't1' }),
)
const service = principalFromClaims(
  claims({ sub: 'reports', client_id: 'reports', scope: 'invoices:read' }),
)

interface Invoice {
  tenantId: string | undefined
}

describe('principalFromClaims', () => {
  it('reads sub, client, roles, scopes and tenant', () => {
    expect(member).toMatchObject({
      sub: 'user-1',
      clientId: 'warden',
      kind: 'user',
      roles: ['member'],
      tenantId: 't1',
    })
    expect([...member.scopes]).toEqual(['projects:read', 'invoices:read'])
    expect(Object.isFrozen(member)).toBe(true)
  })

  it('is a service when sub equals client_id', () => {
    expect(service.kind).toBe('service')
  })

  it('has read-only scopes, shared by principals with the same scope string', () => {
    const other = principalFromClaims(
      claims({ sub: 'user-2', roles: ['member'], scope: 'projects:read invoices:read' }),
    )
    expect(other.scopes).toBe(member.scopes)
    const scopes = member.scopes as Set<string>
    expect(() => scopes.add('admin:all')).toThrow(TypeError)
    expect(() => scopes.delete('projects:read')).toThrow(TypeError)
    expect(() => scopes.clear()).toThrow(TypeError)
    expect([...member.scopes]).toEqual(['projects:read', 'invoices:read'])
    expect(principalFromClaims(claims({ scope: 'invoices:read' })).scopes).not.toBe(member.scopes)
  })

  it('takes frozen roles as they are and copies roles that are not frozen', () => {
    const frozen = Object.freeze(['member'])
    expect(principalFromClaims(claims({ roles: frozen as string[] })).roles).toBe(frozen)
    const open = ['member']
    const principal = principalFromClaims(claims({ roles: open }))
    open.push('admin')
    expect(principal.roles).toEqual(['member'])
    expect(Object.isFrozen(principal.roles)).toBe(true)
  })

  it('copes with no roles, scope or tenant, and stray spaces in scope', () => {
    const bare = principalFromClaims(claims({ scope: '  a   b ' }))
    expect(bare.roles).toEqual([])
    expect([...bare.scopes]).toEqual(['a', 'b'])
    expect(bare.tenantId).toBeUndefined()
  })
})

describe('requirements', () => {
  it.each([
    ['authenticated', authenticated(), member, true],
    ['anyRole hit', anyRole('admin', 'member'), member, true],
    ['anyRole miss', anyRole('admin'), member, false],
    ['allScopes hit', allScopes('projects:read', 'invoices:read'), member, true],
    ['allScopes partial', allScopes('projects:read', 'invoices:approve'), member, false],
    ['claimIn tid', claimIn('tid', ['t1', 't2']), member, true],
    ['claimIn tid absent', claimIn('tid', ['t1']), service, false],
    ['claimIn client_id', claimIn('client_id', ['reports']), service, true],
    ['claimIn sub miss', claimIn('sub', ['someone']), member, false],
    ['userOnly for a user', userOnly(), member, true],
    ['userOnly for a service', userOnly(), service, false],
    ['custom', requirement('in-tenant', (p) => p.tenantId !== undefined), member, true],
  ] as const)('%s', (_, req, principal, expected) => {
    expect(req.check(principal, undefined)).toBe(expected)
  })

  it('sameTenant denies when either side has no tenant', () => {
    const req = sameTenant<Invoice>((invoice) => invoice.tenantId)
    expect(req.check(member, { tenantId: 't1' })).toBe(true)
    expect(req.check(member, { tenantId: 't2' })).toBe(false)
    expect(req.check(member, { tenantId: undefined })).toBe(false)
    expect(req.check(service, { tenantId: undefined })).toBe(false)
    expect(req.check(service, { tenantId: 't1' })).toBe(false)
  })

  it('refuses empty builders with a TypeError', () => {
    expect(() => anyRole()).toThrow(TypeError)
    expect(() => allScopes('')).toThrow(TypeError)
    expect(() => claimIn('tid', [])).toThrow(TypeError)
    expect(() => all()).toThrow(TypeError)
    expect(() => any()).toThrow(TypeError)
    expect(() => requirement('', () => true)).toThrow(TypeError)
  })
})

describe('evaluatePolicy', () => {
  const manager = definePolicy(
    'project-manager',
    all(authenticated(), userOnly(), anyRole('manager', 'admin')),
  )

  it('allows', () => {
    const admin = principalFromClaims(claims({ roles: ['admin'] }))
    expect(evaluatePolicy(manager, admin)).toEqual({ allowed: true })
  })

  it('answers unauthenticated without a principal', () => {
    expect(evaluatePolicy(manager, null)).toEqual({
      allowed: false,
      reason: 'unauthenticated',
      requirement: 'authenticated',
    })
    expect(
      evaluatePolicy(
        definePolicy(
          'open',
          requirement('any', () => true),
        ),
        null,
      ).allowed,
    ).toBe(false)
  })

  it('names the first failing requirement of all()', () => {
    expect(evaluatePolicy(manager, service)).toEqual({
      allowed: false,
      reason: 'forbidden',
      requirement: 'user-only',
    })
    expect(evaluatePolicy(manager, member)).toEqual({
      allowed: false,
      reason: 'forbidden',
      requirement: 'any-role(manager,admin)',
    })
  })

  it('looks through nested all() and names a failing any() itself', () => {
    const nested = definePolicy(
      'nested',
      all(authenticated(), all(userOnly(), any(anyRole('admin'), allScopes('x')))),
    )
    expect(evaluatePolicy(nested, member)).toEqual({
      allowed: false,
      reason: 'forbidden',
      requirement: 'any(any-role(admin), all-scopes(x))',
    })
  })

  it('passes the resource to the requirements', () => {
    const read = definePolicy(
      'invoice-read',
      all(
        authenticated(),
        sameTenant<Invoice>((i) => i.tenantId),
      ),
    )
    expect(evaluatePolicy(read, member, { tenantId: 't1' })).toEqual({ allowed: true })
    expect(evaluatePolicy(read, member, { tenantId: 'other' })).toMatchObject({
      allowed: false,
      requirement: 'same-tenant',
    })
  })

  it('describes itself', () => {
    expect(manager.describe()).toBe(
      'project-manager: all(authenticated, user-only, any-role(manager,admin))',
    )
  })

  it('types: a policy with a resource requires one; one without does not', () => {
    const withResource = definePolicy(
      'r',
      sameTenant<Invoice>((i) => i.tenantId),
    )
    const without = definePolicy('n', all(authenticated(), userOnly()))
    expectTypeOf(withResource).toEqualTypeOf<Policy<Invoice>>()
    expectTypeOf(evaluatePolicy(without, member)).toEqualTypeOf<Decision>()
    // Compiled, never run: tsc checks that these calls are errors.
    const _typeErrors = () => {
      // @ts-expect-error: the resource is required
      evaluatePolicy(withResource, member)
      // @ts-expect-error: and must have the right type
      evaluatePolicy(withResource, member, { id: 1 })
    }
    // A policy needing a resource is not a policy needing none.
    expectTypeOf(withResource).not.toExtend<Policy>()
    expectTypeOf(without).toExtend<Policy>()
    expectTypeOf<Principal['kind']>().toEqualTypeOf<'user' | 'service'>()
  })
})
