import type { FunctionComponent } from 'preact'
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'

import { WardenClientError } from '@warden/client'

import { AppContext, type AppContextValue, type Identity } from './app-context.ts'
import type { BrowserWarden } from './browser-warden.ts'
import { AdminPage } from './components/admin-page.tsx'
import { InvoicesPage } from './components/invoices-page.tsx'
import { Link } from './components/link.tsx'
import { ProjectsPage } from './components/projects-page.tsx'
import { SessionPage } from './components/session-page.tsx'
import { SignInPage } from './components/sign-in-page.tsx'
import { describeError } from './describe-error.ts'
import { formatCountdown } from './format.ts'
import { HOME_PATH, matchRoute, visibleRoutes, type RouteId } from './routes.ts'
import { sessionEndedNotice, signedOutNotice, type SessionNotice } from './session-messages.ts'
import { nextTokenTimes, NO_TOKEN, type TokenTimes } from './token-times.ts'
import { useNow } from './use-query.ts'

type AuthState =
  | { readonly status: 'restoring' }
  | { readonly status: 'signed-out' }
  | { readonly status: 'signed-in'; readonly identity: Identity }

const PAGES: Readonly<Record<RouteId, FunctionComponent>> = {
  projects: ProjectsPage,
  invoices: InvoicesPage,
  session: SessionPage,
  admin: AdminPage,
}

function TokenPill(props: { readonly expiresAt: number | null; readonly onOpen: () => void }) {
  const now = useNow(1000)
  if (props.expiresAt === null) return null
  const expired = props.expiresAt <= now
  return (
    <a
      href="/session"
      class={`pill ${expired ? 'warn' : 'ok'}`}
      title="Access token lifetime"
      onClick={(event) => {
        event.preventDefault()
        props.onOpen()
      }}
    >
      <span class="dot" aria-hidden="true" />
      {expired ? 'token expired · renews on use' : `token ${formatCountdown(props.expiresAt, now)}`}
    </a>
  )
}

function NotFound(props: { readonly navigate: (path: string) => void }) {
  return (
    <div class="page">
      <section class="card empty-state">
        <h1>Page not found</h1>
        <p class="muted">There is nothing at this address.</p>
        <Link href={HOME_PATH} navigate={props.navigate} class="button primary">
          Go to projects
        </Link>
      </section>
    </div>
  )
}

/**
 * The whole app: restores the session from the refresh cookie on load, shows the sign-in page
 * or the signed-in pages, follows the session's changes (refreshes here or in another tab, the
 * session ending) and says why a session ended in a live region.
 */
export function App(props: { readonly warden: BrowserWarden }) {
  const { client } = props.warden
  const [path, setPath] = useState(() => window.location.pathname)
  const [auth, setAuth] = useState<AuthState>({ status: 'restoring' })
  const [times, setTimes] = useState<TokenTimes>(NO_TOKEN)
  const [notice, setNotice] = useState<SessionNotice | null>(null)
  const restoring = useRef(true)
  const signingOut = useRef(false)

  const navigate = useCallback((to: string, replace = false) => {
    if (replace) window.history.replaceState(null, '', to)
    else window.history.pushState(null, '', to)
    setPath(window.location.pathname)
  }, [])

  useEffect(() => {
    const onPopState = () => {
      setPath(window.location.pathname)
    }
    window.addEventListener('popstate', onPopState)
    return () => {
      window.removeEventListener('popstate', onPopState)
    }
  }, [])

  // Roles and scope come from the server's reading of the access token, never from decoding
  // the JWT here: the browser treats the token as opaque, and what it shows is what is enforced.
  const loadIdentity = useCallback(async () => {
    const [whoami, me] = await Promise.all([
      client.api.system.whoami.query(),
      client.api.auth.me.query(),
    ])
    const scopes = whoami.scope.split(' ').filter((scope) => scope !== '')
    setAuth({
      status: 'signed-in',
      identity: {
        sub: whoami.sub,
        email: me.email,
        roles: whoami.roles,
        scopes,
        tenantId: whoami.tenantId,
      },
    })
  }, [client])

  useEffect(() => {
    let lastExpiry: number | null = null
    const stopSession = client.session.subscribe((session) => {
      setTimes((previous) =>
        nextTokenTimes(previous, session, { now: Date.now(), restoring: restoring.current }),
      )
      if (!session.isAuthenticated) {
        lastExpiry = null
        setAuth({ status: 'signed-out' })
        return
      }
      // A new token may carry new roles (they reach a user's token at the refresh).
      if (lastExpiry !== null && session.expiresAt !== lastExpiry && !restoring.current) {
        loadIdentity().catch(() => undefined)
      }
      lastExpiry = session.expiresAt
    })
    const stopEnded = props.warden.onSessionEnded((reason) => {
      setNotice(sessionEndedNotice(reason))
      setAuth({ status: 'signed-out' })
    })
    // A revoked access token (an admin's role change, a sign-out everywhere from another
    // device): ask for a new one; the refresh either succeeds or ends the session with a reason.
    const stopFailures = props.warden.onAuthFailure((code) => {
      if (code !== 'revoked_token' || signingOut.current) return
      client
        .refresh()
        .then(loadIdentity)
        .catch(() => undefined)
    })
    client
      .refresh()
      .then(loadIdentity)
      .catch((error: unknown) => {
        // No cookie, or a refused one, is simply "not signed in"; an unreachable server is said.
        if (error instanceof WardenClientError && error.code === 'refresh_failed') {
          setNotice({ tone: 'alert', text: describeError(error).text })
        }
        setAuth({ status: 'signed-out' })
      })
      .finally(() => {
        restoring.current = false
      })
    return () => {
      stopSession()
      stopEnded()
      stopFailures()
    }
  }, [client, loadIdentity, props.warden])

  const route = matchRoute(path)
  useEffect(() => {
    if (auth.status === 'signed-in' && route === 'home') navigate(HOME_PATH, true)
  }, [auth.status, route, navigate])

  const signIn = useCallback(
    async (email: string, password: string) => {
      await client.login({ email, password })
      setNotice(null)
      await loadIdentity()
    },
    [client, loadIdentity],
  )

  const register = useCallback(
    async (input: { email: string; password: string; name?: string }) => {
      await client.register(input)
      await signIn(input.email, input.password)
    },
    [client, signIn],
  )

  const signOut = useCallback(
    async (everywhere: boolean) => {
      signingOut.current = true
      try {
        // Everywhere: first end every session while this token still works; the sign-out that
        // follows only clears this tab (its token is revoked by then) and tells the other tabs.
        if (everywhere) await client.api.auth.logoutAll.mutate()
        await client.logout()
      } finally {
        signingOut.current = false
      }
      setNotice(signedOutNotice(everywhere))
      setAuth({ status: 'signed-out' })
    },
    [client],
  )

  const context = useMemo<AppContextValue | null>(
    () =>
      auth.status === 'signed-in'
        ? { client, identity: auth.identity, times, navigate, signOut }
        : null,
    [auth, client, times, navigate, signOut],
  )

  const links = auth.status === 'signed-in' ? visibleRoutes(auth.identity.roles) : []
  const Page = typeof route === 'object' ? PAGES[route.id] : undefined

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <a
            class="brand"
            href="/"
            onClick={(event) => {
              event.preventDefault()
              navigate(auth.status === 'signed-in' ? HOME_PATH : '/')
            }}
          >
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <span>Warden</span>
          </a>
          {links.length > 0 ? (
            <nav aria-label="Main">
              <ul>
                {links.map((link) => (
                  <li key={link.id}>
                    <Link
                      href={link.path}
                      navigate={navigate}
                      current={typeof route === 'object' && route.id === link.id}
                    >
                      {link.title}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {auth.status === 'signed-in' ? (
            <div class="account">
              <TokenPill expiresAt={times.expiresAt} onOpen={() => navigate('/session')} />
              <span class="who" title={auth.identity.sub}>
                <span class="email">{auth.identity.email}</span>
                <span class="roles">{auth.identity.roles.join(' · ')}</span>
              </span>
              <button
                type="button"
                class="button subtle"
                onClick={() => {
                  signOut(false).catch(() => undefined)
                }}
              >
                Sign out
              </button>
            </div>
          ) : null}
        </div>
      </header>

      <div
        class={`notice-region${notice === null ? '' : ` ${notice.tone}`}`}
        role={notice?.tone === 'alert' ? 'alert' : 'status'}
        aria-live={notice?.tone === 'alert' ? 'assertive' : 'polite'}
      >
        {notice === null ? null : (
          <div class="notice">
            <span>{notice.text}</span>
            <button
              type="button"
              class="button subtle"
              aria-label="Dismiss"
              onClick={() => setNotice(null)}
            >
              ×
            </button>
          </div>
        )}
      </div>

      <main id="main" tabIndex={-1}>
        {auth.status === 'restoring' ? (
          <p class="loading" aria-busy="true">
            Restoring your session…
          </p>
        ) : context === null ? (
          <SignInPage signIn={signIn} register={register} />
        ) : (
          <AppContext.Provider value={context}>
            {Page === undefined ? (
              route === 'home' ? null : (
                <NotFound navigate={navigate} />
              )
            ) : (
              <Page key={path} />
            )}
          </AppContext.Provider>
        )}
      </main>

      <footer class="footer">
        <span>Refresh token: HttpOnly cookie</span>
        <span>Access token: memory only</span>
        <span>CSP: no inline script</span>
      </footer>
    </div>
  )
}
