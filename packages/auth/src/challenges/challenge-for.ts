import type { AuthError, AuthErrorCode } from '../errors/auth-error.ts'
import { buildChallenge } from './build-challenge.ts'

/** The HTTP answer to an {@link AuthError}. */
export interface Challenge {
  readonly status: 400 | 401 | 403 | 429 | 503
  readonly wwwAuthenticate?: string
}

const BARE: Challenge = { status: 401, wwwAuthenticate: buildChallenge() }
const invalidToken = (code: AuthErrorCode): Challenge => ({
  status: 401,
  wwwAuthenticate: buildChallenge({ error: 'invalid_token', errorDescription: code }),
})

// Built once: the answers form a closed set, and an attacker decides how many requests are
// refused. Frozen, since every refusal of a code shares its object.
const ANSWERS: Readonly<Record<AuthErrorCode, Challenge>> = {
  missing_token: BARE,
  invalid_credentials: BARE,
  invalid_refresh_token: BARE,
  refresh_reused: BARE,
  refresh_expired: BARE,
  refresh_revoked: BARE,
  malformed_token: invalidToken('malformed_token'),
  invalid_signature: invalidToken('invalid_signature'),
  unsupported_algorithm: invalidToken('unsupported_algorithm'),
  expired_token: invalidToken('expired_token'),
  wrong_issuer: invalidToken('wrong_issuer'),
  wrong_audience: invalidToken('wrong_audience'),
  not_yet_valid: invalidToken('not_yet_valid'),
  missing_claim: invalidToken('missing_claim'),
  wrong_type: invalidToken('wrong_type'),
  revoked_token: invalidToken('revoked_token'),
  insufficient_scope: {
    status: 403,
    wwwAuthenticate: buildChallenge({ error: 'insufficient_scope' }),
  },
  invalid_request: { status: 400, wwwAuthenticate: buildChallenge({ error: 'invalid_request' }) },
  rate_limited: { status: 429 },
  overloaded: { status: 503 },
  weak_password: { status: 400 },
}
// A Map, so that no code (from untyped JavaScript, say) can reach Object.prototype's keys.
const CHALLENGES = new Map<string, Challenge>(
  Object.entries(ANSWERS).map(([code, challenge]) => [code, Object.freeze(challenge)]),
)

/**
 * The HTTP status and `WWW-Authenticate` header of an AuthError (INTERFACE.md's table): 401 with
 * `error="invalid_token"` and the code for token codes, 401 with the bare challenge for
 * missing_token, invalid_credentials and the refresh codes, 403 insufficient_scope, 400
 * invalid_request, and no header for 429 rate_limited, 503 overloaded and 400 weak_password.
 * The answer is frozen and shared by every error of its code; a code outside the union (from
 * untyped JavaScript) gets the bare 401.
 */
export function challengeFor(error: AuthError): Challenge {
  return CHALLENGES.get(error.code) ?? BARE
}
