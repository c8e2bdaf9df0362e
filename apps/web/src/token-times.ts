import type { SessionSnapshot } from '@warden/client'

/** What the session panel shows about the access token's life. */
export interface TokenTimes {
  /** When the access token expires (device clock), or `null` without one. */
  readonly expiresAt: number | null
  /** When this tab obtained its first access token of the session (sign-in or restore). */
  readonly since: number | null
  /** When the access token was last replaced by a refresh (this tab's or another tab's). */
  readonly lastRefreshAt: number | null
  /** How many refreshes this tab has seen since `since`. */
  readonly refreshes: number
}

/** No session. */
export const NO_TOKEN: TokenTimes = {
  expiresAt: null,
  since: null,
  lastRefreshAt: null,
  refreshes: 0,
}

/**
 * The token times after a session change the client reported (`session.subscribe`): a first
 * token starts the count (a restore from the cookie is itself a refresh), a token with another
 * expiry is a refresh, and no token clears everything.
 */
export function nextTokenTimes(
  previous: TokenTimes,
  session: SessionSnapshot,
  change: { readonly now: number; readonly restoring: boolean },
): TokenTimes {
  if (!session.isAuthenticated || session.expiresAt === null) return NO_TOKEN
  if (previous.expiresAt === null) {
    return {
      expiresAt: session.expiresAt,
      since: change.now,
      lastRefreshAt: change.restoring ? change.now : null,
      refreshes: change.restoring ? 1 : 0,
    }
  }
  if (previous.expiresAt === session.expiresAt) return previous
  return {
    ...previous,
    expiresAt: session.expiresAt,
    lastRefreshAt: change.now,
    refreshes: previous.refreshes + 1,
  }
}
