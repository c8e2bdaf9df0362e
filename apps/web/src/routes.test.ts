import { describe, expect, it } from 'vitest'

import { HOME_PATH, matchRoute, ROUTES, visibleRoutes } from './routes.ts'

describe('matchRoute', () => {
  it('finds every page by its path, with or without a trailing slash', () => {
    for (const route of ROUTES) {
      expect(matchRoute(route.path)).toBe(route)
      expect(matchRoute(`${route.path}/`)).toBe(route)
    }
  })

  it('sends / and /sign-in home', () => {
    expect(matchRoute('/')).toBe('home')
    expect(matchRoute('/sign-in')).toBe('home')
  })

  it('knows no other path', () => {
    expect(matchRoute('/admin/users')).toBe('not-found')
    expect(matchRoute('/Projects')).toBe('not-found')
    expect(matchRoute('/trpc')).toBe('not-found')
  })

  it('lands on an existing page', () => {
    expect(matchRoute(HOME_PATH)).not.toBe('not-found')
  })
})

describe('visibleRoutes', () => {
  const ids = (roles: string[]) => visibleRoutes(roles).map((route) => route.id)

  it('hides the admin page from members and managers', () => {
    expect(ids(['member'])).toEqual(['projects', 'invoices', 'session'])
    expect(ids(['member', 'manager'])).toEqual(['projects', 'invoices', 'session'])
    expect(ids([])).toEqual(['projects', 'invoices', 'session'])
  })

  it('shows it to admins', () => {
    expect(ids(['member', 'admin'])).toEqual(['projects', 'invoices', 'session', 'admin'])
  })
})
