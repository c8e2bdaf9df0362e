import { describe, expect, it } from 'vitest'

import { sessionEndedNotice, signedOutNotice } from './session-messages.ts'

describe('sessionEndedNotice', () => {
  it('names a reused refresh token as possible theft', () => {
    expect(sessionEndedNotice('refresh_reused')).toEqual({
      tone: 'alert',
      text: 'Your session ended: the refresh token was reused (possible theft); please sign in again.',
    })
  })

  it('says signed out elsewhere for another tab and for a revoked session', () => {
    expect(sessionEndedNotice('logged_out').text).toMatch(/signed out elsewhere/)
    expect(sessionEndedNotice('refresh_revoked').text).toMatch(/signed out elsewhere/)
  })

  it('says expired for an expired session', () => {
    expect(sessionEndedNotice('refresh_expired').text).toBe(
      'Your session expired; please sign in again.',
    )
  })

  it('has a plain message for any other reason, and every ending is an alert', () => {
    for (const reason of ['invalid_refresh_token', 'unauthorized', 'something_new']) {
      expect(sessionEndedNotice(reason)).toEqual({
        tone: 'alert',
        text: 'Your session ended; please sign in again.',
      })
    }
  })
})

describe('signedOutNotice', () => {
  it('is a polite status, saying how far the sign-out went', () => {
    expect(signedOutNotice(false).tone).toBe('status')
    expect(signedOutNotice(true).text).toMatch(/every device/)
    expect(signedOutNotice(false).text).not.toMatch(/every device/)
  })
})
