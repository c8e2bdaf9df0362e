import { describe, expect, it } from 'vitest'

import { scopeForRoles, USER_SERVICE_AUDIENCES, userScopeFor, userScopesOffered } from './scopes.ts'

const API = 'warden-api'

describe('scopes per audience', () => {
  it('keeps scopeForRoles for the API: the union of the roles, sorted', () => {
    expect(scopeForRoles(['member'])).toBe(
      'invoices:read invoices:write projects:read projects:write',
    )
    expect(scopeForRoles(['member', 'manager'])).toBe(
      'invoices:approve invoices:read invoices:write projects:read projects:write',
    )
    expect(scopeForRoles(['nobody'])).toBe('')
  })

  it('gives the API scopes for the configured API audience, whatever its name', () => {
    for (const apiAudience of [API, 'https://api.example.com']) {
      expect(userScopeFor({ audience: apiAudience, apiAudience, roles: ['manager'] })).toBe(
        scopeForRoles(['manager']),
      )
    }
  })

  it('gives reports:read, and nothing of the API, for warden-reports', () => {
    expect(USER_SERVICE_AUDIENCES).toContain('warden-reports')
    for (const roles of [['member'], ['manager'], ['admin', 'member']]) {
      expect(userScopeFor({ audience: 'warden-reports', apiAudience: API, roles })).toBe(
        'reports:read',
      )
    }
    expect(userScopeFor({ audience: 'warden-reports', apiAudience: API, roles: [] })).toBe('')
  })

  it('gives nothing for an audience users get no token for', () => {
    expect(userScopeFor({ audience: 'warden-billing', apiAudience: API, roles: ['admin'] })).toBe(
      undefined,
    )
    expect(userScopesOffered('warden-billing', API)).toBeUndefined()
  })

  it('offers every scope some role holds, per audience', () => {
    expect(userScopesOffered(API, API)).toEqual([
      'invoices:approve',
      'invoices:read',
      'invoices:write',
      'projects:read',
      'projects:write',
    ])
    expect(userScopesOffered('warden-reports', API)).toEqual(['reports:read'])
  })
})
