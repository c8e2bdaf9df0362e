/** The pages of the app. */
export type RouteId = 'projects' | 'invoices' | 'session' | 'admin'

/** One entry of the route table. */
export interface Route {
  readonly id: RouteId
  readonly path: string
  readonly title: string
  /** A role the user must hold for the link to be shown; the server decides access regardless. */
  readonly role?: string
}

/** Every page, in navigation order. `/` and `/sign-in` lead to the first one once signed in. */
export const ROUTES: readonly Route[] = [
  { id: 'projects', path: '/projects', title: 'Projects' },
  { id: 'invoices', path: '/invoices', title: 'Invoices' },
  { id: 'session', path: '/session', title: 'Session' },
  { id: 'admin', path: '/admin', title: 'Admin', role: 'admin' },
]

/** Where a signed-in user lands. */
export const HOME_PATH = '/projects'

/**
 * The page for a location's path: a route, `home` for `/` and `/sign-in` (which redirect), or
 * `not-found`. A trailing slash is ignored; the query and hash are not part of `pathname`.
 */
export function matchRoute(pathname: string): Route | 'home' | 'not-found' {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname
  if (path === '/' || path === '/sign-in') return 'home'
  return ROUTES.find((route) => route.path === path) ?? 'not-found'
}

/**
 * The navigation links a user with these roles sees. Hiding a link is a courtesy, not access
 * control: the admin page is still refused by the server to anyone without the role.
 */
export function visibleRoutes(roles: readonly string[]): readonly Route[] {
  return ROUTES.filter((route) => route.role === undefined || roles.includes(route.role))
}
