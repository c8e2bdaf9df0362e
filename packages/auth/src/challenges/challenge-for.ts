import type { AuthError } from '../errors/auth-error.ts'
import { buildChallenge } from './build-challenge.ts'

export interface Challenge {
  status: 400 | 401 | 403 | 429 | 503
  wwwAuthenticate?: string
}

const BARE = buildChallenge()

/** The HTTP status and `WWW-Authenticate` header of an AuthError (INTERFACE.md's table). */
export function challengeFor(error: AuthError): Challenge {
  const { code } = error
  switch (code) {
    case 'missing_token':
    case 'invalid_credentials':
    case 'invalid_refresh_token':
    case 'refresh_reused':
    case 'refresh_expired':
    case 'refresh_revoked':
      return { status: 401, wwwAuthenticate: BARE }
    case 'malformed_token':
    case 'invalid_signature':
    case 'unsupported_algorithm':
    case 'expired_token':
    case 'wrong_issuer':
    case 'wrong_audience':
    case 'not_yet_valid':
    case 'missing_claim':
    case 'wrong_type':
    case 'revoked_token':
      return {
        status: 401,
        wwwAuthenticate: buildChallenge({ error: 'invalid_token', errorDescription: code }),
      }
    case 'insufficient_scope':
      return { status: 403, wwwAuthenticate: buildChallenge({ error: 'insufficient_scope' }) }
    case 'invalid_request':
      return { status: 400, wwwAuthenticate: buildChallenge({ error: 'invalid_request' }) }
    case 'rate_limited':
      return { status: 429 }
    case 'overloaded':
      return { status: 503 }
    case 'weak_password':
      return { status: 400 }
  }
}
