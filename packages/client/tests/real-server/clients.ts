import { createTRPCClient, httpLink } from '@trpc/client'

import type { AppRouter } from '@warden/api'

import { createWardenClient, type WardenClient, type WardenClientOptions } from '../../src/index.ts'
import type { WardenTarget } from '../harness/target.ts'

export const PASSWORD = 'correct horse battery staple'

let accounts = 0

/** A fresh account on the real server, registered through the public `auth.register`. */
export async function createAccount(
  target: WardenTarget,
): Promise<{ id: string; email: string; password: string }> {
  const email = `user${++accounts}@example.test`
  const { user } = await rawClient(target).auth.register.mutate({ email, password: PASSWORD })
  return { id: user.id, email, password: PASSWORD }
}

/** A bearer client of the real server, signed in to `account` (a fresh one by default). */
export async function signedInClient(
  target: WardenTarget,
  options: Partial<WardenClientOptions<AppRouter>> & {
    readonly account?: { readonly email: string; readonly password: string }
  } = {},
): Promise<{ warden: WardenClient<AppRouter>; email: string }> {
  const { account: given, ...clientOptions } = options
  const warden = createWardenClient<AppRouter>({
    url: target.url,
    transport: 'bearer',
    ...clientOptions,
  })
  const account = given ?? (await createAccount(target))
  await warden.login(account)
  return { warden, email: account.email }
}

/** A plain tRPC client with no auth handling: the test's own hands on the wire. */
export function rawClient(target: WardenTarget, accessToken?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${target.url}/trpc`,
        headers: () =>
          accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
      }),
    ],
  })
}

/** A browser's cookie store for one site, reduced to what Warden's refresh cookie needs. */
export interface CookieJar {
  /** A `fetch` that sends the stored cookies and an `Origin`, and stores `Set-Cookie`s. */
  readonly fetch: typeof fetch
  /** The stored value of a cookie, if any. */
  get(name: string): string | undefined
}

/**
 * Node's `fetch` keeps no cookies, so the cookie transport is tested with this jar: it plays
 * the browser page at `origin`, storing `Set-Cookie` (a `Max-Age` of 0 or less deletes) and
 * sending the cookies back on credentialed requests only, as a browser does.
 */
export function cookieJar(origin: string): CookieJar {
  const cookies = new Map<string, string>()
  const jarFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set('origin', origin)
    if (init?.credentials === 'include' && cookies.size > 0) {
      headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    }
    const response = await fetch(input, { ...init, headers })
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';')
      const eq = pair.indexOf('=')
      if (eq === -1) continue
      const name = pair.slice(0, eq).trim()
      const maxAge = attributes
        .map((attribute) => /^\s*max-age=(-?\d+)\s*$/i.exec(attribute)?.[1])
        .find((value) => value !== undefined)
      if (maxAge !== undefined && Number(maxAge) <= 0) cookies.delete(name)
      else cookies.set(name, pair.slice(eq + 1).trim())
    }
    return response
  }
  return { fetch: jarFetch, get: (name) => cookies.get(name) }
}

/** Settles a promise into its error (or fails if it fulfils). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('Expected a rejection')
}
