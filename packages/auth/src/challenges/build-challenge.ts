/** The parameters of a Bearer challenge (RFC 6750 §3). */
export interface ChallengeParams {
  /** Default "warden". */
  realm?: string | undefined
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined
  errorDescription?: string | undefined
  scope?: string | undefined
}

// RFC 9110 §5.6.4 quoted-string: qdtext is HTAB, SP and visible ASCII; `"` and `\` are escaped.
// Control characters and non-ASCII are refused rather than escaped, since callers only pass
// closed-set values and anything else is a bug.
function quote(value: string, name: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09) || code > 0x7e) {
      throw new TypeError(`${name} must be printable ASCII`)
    }
  }
  return `"${value.replace(/[\\"]/g, '\\$&')}"`
}

/**
 * A `WWW-Authenticate: Bearer …` value (RFC 6750 §3), with realm "warden" by default.
 *
 * @throws TypeError for control characters or non-ASCII in a value: callers pass closed-set
 *   values only, never untrusted text
 * @example
 * buildChallenge({ error: 'invalid_token', errorDescription: 'expired_token' })
 * // 'Bearer realm="warden", error="invalid_token", error_description="expired_token"'
 */
export function buildChallenge(params: ChallengeParams = {}): string {
  const parts = [`realm=${quote(params.realm ?? 'warden', 'realm')}`]
  if (params.error !== undefined) parts.push(`error=${quote(params.error, 'error')}`)
  if (params.errorDescription !== undefined) {
    parts.push(`error_description=${quote(params.errorDescription, 'errorDescription')}`)
  }
  if (params.scope !== undefined) parts.push(`scope=${quote(params.scope, 'scope')}`)
  return `Bearer ${parts.join(', ')}`
}
