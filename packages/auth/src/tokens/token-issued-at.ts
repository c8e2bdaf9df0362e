import { randomBytes } from 'node:crypto'

import { decodeBase64url } from '../internal/base64url.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'

const TIMESTAMP_BYTES = 6
const RANDOM_BYTES = 16

/** base64url( 6-byte big-endian epoch ms ‖ 16 random bytes ). */
export function createJti(nowMs: number): string {
  const bytes = randomBytes(TIMESTAMP_BYTES + RANDOM_BYTES)
  bytes.writeUIntBE(Math.floor(nowMs), 0, TIMESTAMP_BYTES)
  return bytes.toString('base64url')
}

/**
 * When a token was issued, in epoch milliseconds: from its `jti` when that is a Warden jti whose
 * time falls inside the `iat` second, else `iat * 1000`. Log-out-everywhere cut-offs compare
 * against this, so a token issued 100 ms after a cut-off in the same second survives it.
 */
export function tokenIssuedAt(claims: Pick<AccessTokenClaims, 'iat' | 'jti'>): number {
  const fallback = claims.iat * 1000
  const bytes = decodeBase64url(claims.jti)
  if (bytes?.length !== TIMESTAMP_BYTES + RANDOM_BYTES) return fallback
  const ms = bytes.readUIntBE(0, TIMESTAMP_BYTES)
  // The jti's time must fall inside the signed iat second; anything else is not one of ours and
  // must not move the issue time (a log-out-everywhere cut-off compares against it).
  return ms >= fallback && ms < fallback + 1000 ? ms : fallback
}
