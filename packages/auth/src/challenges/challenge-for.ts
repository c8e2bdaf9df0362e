import type { AuthError } from '../errors/auth-error.ts'
import { buildChallenge } from './build-challenge.ts'

/** The HTTP answer to an {@link AuthError}. */
export interface Challenge {
  status: 400 | 401 | 403 | 429 | 503
  wwwAuthenticate?: string
}

const BARE = buildChallenge()

/**
 * The HTTP status and `WWW-Authenticate` header of an AuthError (INTERFACE.md's table): 401 with
 * `error="invalid_token"` and the code for token codes, 401 with the bare challenge for
 * missing_token, invalid_credentials and the refresh codes, 403 insufficient_scope, 400
 * invalid_request, and no header for 429 rate_limited, 503 overloaded and 400 weak_password.
 */
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
