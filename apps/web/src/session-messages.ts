/** What the session banner says, and how urgently. */
export interface SessionNotice {
  /** `alert` interrupts a screen reader (the session ended on its own); `status` does not. */
  readonly tone: 'alert' | 'status'
  readonly text: string
}

/**
 * The message for a session that ended without this tab signing out, from the reason the client
 * passes to `onSessionExpired`: the server's refusal of the refresh (`refresh_reused`,
 * `refresh_revoked`, `refresh_expired`, `invalid_refresh_token`, `unauthorized`), or
 * `logged_out` when another tab signed out.
 */
export function sessionEndedNotice(reason: string): SessionNotice {
  switch (reason) {
    case 'refresh_reused':
      return {
        tone: 'alert',
        text: 'Your session ended: the refresh token was reused (possible theft); please sign in again.',
      }
    case 'logged_out':
      return {
        tone: 'alert',
        text: 'Your session ended: you signed out elsewhere (another tab); please sign in again.',
      }
    case 'refresh_revoked':
      return {
        tone: 'alert',
        text: 'Your session ended: it was signed out elsewhere or revoked; please sign in again.',
      }
    case 'refresh_expired':
      return { tone: 'alert', text: 'Your session expired; please sign in again.' }
    default:
      return { tone: 'alert', text: 'Your session ended; please sign in again.' }
  }
}

/** The message after this tab signed out (`everywhere`: every session of the account ended). */
export function signedOutNotice(everywhere: boolean): SessionNotice {
  return {
    tone: 'status',
    text: everywhere
      ? 'You are signed out on every device and tab.'
      : 'You are signed out. This browser holds no token any more.',
  }
}
