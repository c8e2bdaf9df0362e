import type { AppRouter } from '@warden/api'
import { createWardenClient, type WardenClient } from '@warden/client'

/** The typed Warden client of this app. */
export type AppClient = WardenClient<AppRouter>

/** The app's Warden client, with the session events the UI listens to. */
export interface BrowserWarden {
  readonly client: AppClient
  /**
   * Calls `listener` with the reason whenever the session ends without this tab signing out
   * (the server refused a refresh, or another tab signed out); returns an unsubscribe function.
   */
  readonly onSessionEnded: (listener: (reason: string) => void) => () => void
  /** Calls `listener` with the auth code of every call that finally fails with one. */
  readonly onAuthFailure: (listener: (code: string) => void) => () => void
}

function emitter<T>() {
  const listeners = new Set<(value: T) => void>()
  return {
    emit: (value: T) => {
      for (const listener of [...listeners]) listener(value)
    },
    subscribe: (listener: (value: T) => void) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}

/**
 * The browser's Warden client: cookie transport (the refresh token lives only in the server's
 * HttpOnly, SameSite=Strict cookie; the access token only in this client's memory), refreshes
 * coordinated across tabs (Web Locks and BroadcastChannel), and no proactive refresh, so an
 * unattended tab does not keep its session alive: the token is renewed when a call needs it.
 *
 * `url` is this page's own origin: the app and the API share it, which is what lets the cookie
 * be SameSite=Strict and the server's `Origin` check accept the app's calls.
 */
export function createBrowserWarden(options: { readonly url: string }): BrowserWarden {
  const ended = emitter<string>()
  const failures = emitter<string>()
  const client = createWardenClient<AppRouter>({
    url: options.url,
    transport: 'cookie',
    crossTab: true,
    proactiveRefresh: false,
    onSessionExpired: (reason) => {
      ended.emit(reason)
    },
    onAuthFailure: (code) => {
      failures.emit(code)
    },
  })
  return { client, onSessionEnded: ended.subscribe, onAuthFailure: failures.subscribe }
}
