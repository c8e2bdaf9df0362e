/*
 * Verification of a compact JWS access token (RFC 7515, RFC 7519, RFC 9068), in this order.
 * The first failing row decides the code.
 *
 * | # | check                                                                  | code                  |
 * |---|------------------------------------------------------------------------|-----------------------|
 * | 1 | not a string, empty, or longer than 8192 characters                    | malformed_token       |
 * | 1 | not exactly 3 segments (JWE has 5)                                     | malformed_token       |
 * | 1 | a segment is not canonical unpadded base64url                          | malformed_token       |
 * | 2 | header not a UTF-8 JSON object, duplicate names, over 1024 bytes       | malformed_token       |
 * | 2 | `alg` not a string                                                     | malformed_token       |
 * | 2 | `alg` is "none" in any casing                                          | unsupported_algorithm |
 * | 2 | any of jwk jku x5u x5c x5t x5t#S256 crit b64 zip enc epk p2s p2c       | malformed_token       |
 * | 2 | `typ` missing or not at+jwt / application/at+jwt (any case)            | wrong_type            |
 * | 2 | `kid` not a string of 1..256 characters                                | malformed_token       |
 * | 2 | `kid` names no key                                                     | invalid_signature     |
 * | 3 | `alg` differs from the key's one algorithm                             | unsupported_algorithm |
 * | 4 | signature does not verify (ES256: not exactly 64 bytes)                | invalid_signature     |
 * | 5 | payload not a UTF-8 JSON object, or duplicate names                    | malformed_token       |
 * | 6 | iss, sub, aud, exp, iat, jti or client_id absent                       | missing_claim         |
 * | 6 | exp/iat/nbf not safe integers; iss/sub/jti/client_id not non-empty     | malformed_token       |
 * |   | strings; aud not a string or non-empty string array; roles not a       |                       |
 * |   | string array; scope/tid not strings                                    |                       |
 * | 7 | iss differs from the issuer                                            | wrong_issuer          |
 * | 7 | aud does not contain the wanted audience                               | wrong_audience        |
 * | 8 | now >= exp + skew                                                      | expired_token         |
 * | 8 | nbf > now + skew                                                       | not_yet_valid         |
 * | 8 | iat > now + skew                                                       | not_yet_valid         |
 *
 * The algorithm comes from the key found by `kid`, never from the header alone (row 3), so an
 * HS256 token "signed" with a public key cannot verify: HMAC keys come only from `oct` JWKs.
 * The signature is checked before any claim is read.
 */
import type { Clock } from '../clock/clock.ts'
import { AuthError, type TokenErrorCode } from '../errors/auth-error.ts'
import { decodeBase64url } from '../internal/base64url.ts'
import { createInternTable } from '../internal/intern-table.ts'
import type { VerificationKey } from '../internal/key-material.ts'
import { parseJsonObject } from '../internal/parse-json-object.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'

export const MAX_TOKEN_LENGTH = 8192
const MAX_HEADER_BYTES = 1024
const MAX_KID_LENGTH = 256

// RFC 7515 §4.1: members that would let the token pick its own key, or change how it is
// processed. `crit` is refused outright: we understand no extension (§4.1.11).
const FORBIDDEN_HEADER_MEMBERS = new Set([
  'jwk',
  'jku',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'crit',
  'b64',
  'zip',
  'enc',
  'epk',
  'p2s',
  'p2c',
])
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'] as const

// The claims of every token with the same role list share one frozen copy of it.
const sharedRoles = createInternTable<readonly string[]>(256)

export interface VerifyContext {
  readonly issuer: string
  readonly clock: Clock
  /** Seconds. */
  readonly clockSkew: number
  readonly findKey: (kid: string) => VerificationKey | undefined
}

function fail(code: TokenErrorCode, message: string): never {
  throw new AuthError(code, message)
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  for (const item of value) if (typeof item !== 'string') return false
  return true
}

function isOptionalNumericDate(value: unknown): value is number | undefined {
  return value === undefined || Number.isSafeInteger(value)
}

export function hasAudience(aud: string | readonly string[], audience: string): boolean {
  return typeof aud === 'string' ? aud === audience : aud.includes(audience)
}

/** Verifies a compact JWS access token; see the table at the top of this file. */
export function verifyAccessToken(
  token: unknown,
  audience: string,
  context: VerifyContext,
): AccessTokenClaims {
  // 1. Shape.
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    fail('malformed_token', 'The token must be a non-empty string of at most 8192 characters')
  }
  const dot1 = token.indexOf('.')
  const dot2 = dot1 === -1 ? -1 : token.indexOf('.', dot1 + 1)
  if (dot2 === -1 || token.includes('.', dot2 + 1)) {
    fail('malformed_token', 'A compact JWS has exactly three segments')
  }
  const payloadBytes = decodeBase64url(token.slice(dot1 + 1, dot2))
  const signature = decodeBase64url(token.slice(dot2 + 1))
  if (payloadBytes === undefined || signature === undefined) {
    fail('malformed_token', 'Each segment must be canonical unpadded base64url')
  }

  // 2. Header.
  const encodedHeader = token.slice(0, dot1)
  const { alg, kid } = headerCache.get(encodedHeader) ?? readHeader(encodedHeader)
  const key = context.findKey(kid)
  if (key === undefined) fail('invalid_signature', 'No key has this "kid"')

  // 3. The key decides the algorithm.
  if (alg !== key.alg) fail('unsupported_algorithm', `This key signs with ${key.alg} only`)

  // 4. Signature, before anything in the payload is trusted.
  const signingInput = Buffer.from(token.slice(0, dot2), 'latin1')
  if (!key.verify(signingInput, signature))
    fail('invalid_signature', 'The signature does not verify')

  // 5. Payload.
  const parsedPayload = parseJsonObject(payloadBytes, MAX_TOKEN_LENGTH)
  if (parsedPayload === undefined) fail('malformed_token', 'The payload is not a valid JSON object')
  const payload = parsedPayload.value

  // 6. Required claims and types.
  for (const name of REQUIRED_CLAIMS) {
    if (payload[name] === undefined) fail('missing_claim', `The "${name}" claim is required`)
  }
  const { iss, sub, aud, exp, iat, jti, client_id: clientId, nbf, roles, scope, tid } = payload
  if (!Number.isSafeInteger(exp) || !Number.isSafeInteger(iat) || !isOptionalNumericDate(nbf)) {
    fail('malformed_token', 'exp, iat and nbf must be whole seconds')
  }
  if (
    !isNonEmptyString(iss) ||
    !isNonEmptyString(sub) ||
    !isNonEmptyString(jti) ||
    !isNonEmptyString(clientId)
  ) {
    fail('malformed_token', 'iss, sub, jti and client_id must be non-empty strings')
  }
  if (typeof aud !== 'string' && (!isStringArray(aud) || aud.length === 0)) {
    fail('malformed_token', 'aud must be a string or a non-empty array of strings')
  }
  if (roles !== undefined && !isStringArray(roles)) fail('malformed_token', 'roles must be strings')
  if (scope !== undefined && typeof scope !== 'string')
    fail('malformed_token', 'scope must be a string')
  if (tid !== undefined && typeof tid !== 'string') fail('malformed_token', 'tid must be a string')

  // 7. Issuer and audience.
  if (iss !== context.issuer) fail('wrong_issuer', 'The token comes from another issuer')
  if (!hasAudience(aud, audience))
    fail('wrong_audience', 'The token is not meant for this audience')

  // 8. Time, with the skew as leeway on both sides.
  const now = context.clock.now() / 1000
  const skew = context.clockSkew
  const expires = exp as number
  if (now >= expires + skew) fail('expired_token', 'The token has expired')
  if (nbf !== undefined && nbf > now + skew) fail('not_yet_valid', 'The token is not valid yet')
  const issuedAt = iat as number
  if (issuedAt > now + skew) fail('not_yet_valid', 'The token was issued in the future')

  const claims: AccessTokenClaims = {
    iss,
    sub,
    aud: typeof aud === 'string' ? aud : (Object.freeze(aud.slice()) as string[]),
    iat: issuedAt,
    exp: expires,
    jti,
    client_id: clientId,
  }
  if (nbf !== undefined) claims.nbf = nbf
  if (roles !== undefined) {
    claims.roles = sharedRoles(JSON.stringify(roles), () =>
      Object.freeze(roles.slice()),
    ) as string[]
  }
  if (scope !== undefined) claims.scope = scope
  if (tid !== undefined) claims.tid = tid
  return Object.freeze(claims)
}

interface CheckedHeader {
  readonly alg: string
  readonly kid: string
}

// All tokens of one key share one header segment, so the outcome of the header checks is kept
// for the exact string: a pure function of it, independent of keys and time. Only headers that
// passed are kept, at most HEADER_CACHE_SIZE of them (oldest out first).
const HEADER_CACHE_SIZE = 64
const headerCache = new Map<string, CheckedHeader>()

function readHeader(encoded: string): CheckedHeader {
  const bytes = decodeBase64url(encoded)
  if (bytes === undefined)
    fail('malformed_token', 'Each segment must be canonical unpadded base64url')
  const parsed = parseJsonObject(bytes, MAX_HEADER_BYTES)
  if (parsed === undefined) fail('malformed_token', 'The header is not a valid JSON object')
  const header = parsed.value
  const alg = header['alg']
  if (typeof alg !== 'string') fail('malformed_token', 'The header has no "alg"')
  if (alg.length === 4 && alg.toLowerCase() === 'none') {
    fail('unsupported_algorithm', 'Unsecured tokens (alg "none") are refused')
  }
  for (const name of parsed.names) {
    if (FORBIDDEN_HEADER_MEMBERS.has(name))
      fail('malformed_token', `Header member "${name}" is refused`)
  }
  const typ = header['typ']
  if (typeof typ !== 'string' || !isAccessTokenType(typ)) {
    fail('wrong_type', 'The header "typ" must be "at+jwt"')
  }
  const kid = header['kid']
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    fail('malformed_token', 'The header "kid" must be a string of 1 to 256 characters')
  }
  const checked: CheckedHeader = Object.freeze({ alg, kid })
  if (headerCache.size >= HEADER_CACHE_SIZE) {
    const oldest = headerCache.keys().next()
    if (oldest.done !== true) headerCache.delete(oldest.value)
  }
  headerCache.set(encoded, checked)
  return checked
}

function isAccessTokenType(typ: string): boolean {
  if (typ === 'at+jwt') return true
  const lower = typ.toLowerCase()
  return lower === 'at+jwt' || lower === 'application/at+jwt'
}
