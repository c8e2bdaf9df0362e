/** The JWS algorithms Warden signs and verifies with (RFC 7518, RFC 8037). */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'HS256'

export const signingAlgorithms: readonly SigningAlgorithm[] = Object.freeze([
  'EdDSA',
  'ES256',
  'RS256',
  'HS256',
])

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return value === 'EdDSA' || value === 'ES256' || value === 'RS256' || value === 'HS256'
}
