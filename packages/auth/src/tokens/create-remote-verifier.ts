import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto'

import { systemClock, type Clock } from '../clock/clock.ts'
import { AuthError } from '../errors/auth-error.ts'
import { decodeBase64url } from '../internal/base64url.ts'
import { createVerifySignature, type VerificationKey } from '../internal/key-material.ts'
import { createVerifiedTokenCache, readCacheOption } from '../internal/verified-token-cache.ts'
import type { SigningAlgorithm } from '../keys/signing-algorithm.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'
import { assertNonEmptyString, readClockSkew } from './create-token-service.ts'
import { verifyAccessToken, type VerifyContext } from './verify-access-token.ts'

/** The algorithms a JWKS can provide keys for: asymmetric ones only. */
export type RemoteAlgorithm = Exclude<SigningAlgorithm, 'HS256'>

/** Options of {@link createRemoteVerifier}. */
export interface RemoteVerifierOptions {
  jwksUrl: string | URL
  issuer: string
  audience: string
  clock?: Clock | undefined
  /** Seconds, 0 to 300. */
  clockSkew?: number | undefined
  fetch?: typeof fetch | undefined
  /** Algorithms accepted from the JWKS; default EdDSA, ES256, RS256 (never HS256). */
  algorithms?: readonly RemoteAlgorithm[] | undefined
  /** Default 5000. */
  timeoutMs?: number | undefined
  /** Default 64 KiB. */
  maxResponseBytes?: number | undefined
  /** At most one refetch per cooldown for an unknown kid; default 30 000. */
  cooldownMs?: number | undefined
  /** How long a JWKS is used without Cache-Control max-age; default 5 minutes. */
  defaultMaxAgeMs?: number | undefined
  /** Upper bound on a server's max-age; default 24 hours. */
  maxMaxAgeMs?: number | undefined
  cache?: false | { maxEntries?: number | undefined } | undefined
}

/** Verifies Warden access tokens with the issuer's JWKS. */
export interface RemoteVerifier {
  /**
   * Verifies a token with the same rules as the token service, fetching the JWKS first when it
   * is missing or stale, and refetching once per cooldown for an unknown kid.
   *
   * @throws AuthError with a token code; a plain Error when no JWKS could ever be loaded
   */
  verifyAccessToken(
    token: string,
    options?: { audience?: string | undefined },
  ): Promise<AccessTokenClaims>
  /** Fetches the JWKS now; rejects when that fails (the keys in use are kept). */
  reload(): Promise<void>
}

interface RemoteKeys {
  readonly id: string
  readonly byKid: ReadonlyMap<string, VerificationKey>
}

const KTY: Record<RemoteAlgorithm, string> = { EdDSA: 'OKP', ES256: 'EC', RS256: 'RSA' }
const CRV: Record<RemoteAlgorithm, string | undefined> = {
  EdDSA: 'Ed25519',
  ES256: 'P-256',
  RS256: undefined,
}
const PUBLIC_MEMBERS: Record<RemoteAlgorithm, readonly string[]> = {
  EdDSA: ['crv', 'x'],
  ES256: ['crv', 'x', 'y'],
  RS256: ['n', 'e'],
}
const MIN_RSA_BITS = 2048
const MAX_KID_LENGTH = 256

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback
  if (!Number.isFinite(result) || result <= 0)
    throw new TypeError(`${name} must be a positive number`)
  return result
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Imports the usable keys of a JWKS. Anything that is not an asymmetric signature key with a
 * kid and an allowed alg matching its type is skipped; a kid that appears twice is dropped, as
 * there is no telling which of the two signed a token.
 */
export function importRemoteKeys(
  jwks: unknown,
  algorithms: ReadonlySet<RemoteAlgorithm>,
): RemoteKeys {
  if (!isRecord(jwks) || !Array.isArray(jwks['keys'])) {
    throw new TypeError('The JWKS is not an object with a "keys" array')
  }
  const byKid = new Map<string, VerificationKey>()
  const duplicates = new Set<string>()
  const fingerprints: string[] = []
  for (const jwk of jwks['keys'] as unknown[]) {
    const key = importRemoteKey(jwk, algorithms)
    if (key === undefined) continue
    if (byKid.has(key.verificationKey.kid)) duplicates.add(key.verificationKey.kid)
    byKid.set(key.verificationKey.kid, key.verificationKey)
    fingerprints.push(key.fingerprint)
  }
  for (const kid of duplicates) byKid.delete(kid)
  const id = createHash('sha256').update(JSON.stringify(fingerprints.sort())).digest('base64url')
  return { id, byKid }
}

function importRemoteKey(
  jwk: unknown,
  algorithms: ReadonlySet<RemoteAlgorithm>,
): { verificationKey: VerificationKey; fingerprint: string } | undefined {
  if (!isRecord(jwk)) return undefined
  const { kid, alg, kty, use } = jwk
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return undefined
  if (typeof alg !== 'string' || !algorithms.has(alg as RemoteAlgorithm)) return undefined
  const algorithm = alg as RemoteAlgorithm
  if (kty !== KTY[algorithm]) return undefined
  const crv = CRV[algorithm]
  if (crv !== undefined && jwk['crv'] !== crv) return undefined
  if (use !== undefined && use !== 'sig') return undefined
  const keyOps = jwk['key_ops']
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify')))
    return undefined
  // Only the public members are read: a private member published by mistake is never imported.
  const material: JsonWebKey = { kty: KTY[algorithm] }
  for (const member of PUBLIC_MEMBERS[algorithm]) {
    const value = jwk[member]
    if (typeof value !== 'string' || (member !== 'crv' && decodeBase64url(value) === undefined)) {
      return undefined
    }
    material[member] = value
  }
  try {
    const key = createPublicKey({ key: material, format: 'jwk' })
    if (algorithm === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
      return undefined
    }
    return {
      verificationKey: Object.freeze({
        kid,
        alg: algorithm,
        verify: createVerifySignature(algorithm, key),
      }),
      fingerprint: JSON.stringify([kid, algorithm, material]),
    }
  } catch {
    return undefined
  }
}

/** `max-age` of a Cache-Control header in milliseconds, or undefined. */
export function parseMaxAge(header: string | null): number | undefined {
  if (header === null) return undefined
  let maxAge: number | undefined
  for (const directive of header.split(',')) {
    const [name = '', value] = directive.trim().split('=', 2)
    const lower = name.toLowerCase()
    if (lower === 'no-store' || lower === 'no-cache') return 0
    if (lower === 'max-age' && value !== undefined && /^\d{1,10}$/.test(value.trim())) {
      maxAge = Number(value.trim()) * 1000
    }
  }
  return maxAge
}

/**
 * Verifies Warden access tokens in another service, with the issuer's public JWKS. The JWKS
 * is fetched with a timeout and a size limit, kept for its Cache-Control max-age (bounded by the
 * cooldown and 24 hours; 5 minutes without one), refetched at most once per cooldown for an
 * unknown kid (concurrent misses share the fetch), and kept when a refetch fails. Only
 * asymmetric keys with a kid and an allowed alg are used.
 *
 * @throws TypeError for a URL that is not http(s), an empty issuer or audience, HS256 among the
 *   algorithms, or a non-positive limit
 * @example
 * const verifier = createRemoteVerifier({
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *   issuer: 'https://auth.example.com',
 *   audience: 'reports',
 * })
 * const claims = await verifier.verifyAccessToken(token)
 */
export function createRemoteVerifier(options: RemoteVerifierOptions): RemoteVerifier {
  const jwksUrl = new URL(options.jwksUrl)
  if (jwksUrl.protocol !== 'https:' && jwksUrl.protocol !== 'http:') {
    throw new TypeError('jwksUrl must be an http(s) URL')
  }
  assertNonEmptyString(options.issuer, 'issuer')
  assertNonEmptyString(options.audience, 'audience')
  const clock = options.clock ?? systemClock
  const clockSkew = readClockSkew(options.clockSkew)
  const fetchJwks = options.fetch ?? globalThis.fetch
  if (typeof fetchJwks !== 'function') throw new TypeError('fetch must be a function')
  const timeoutMs = positive(options.timeoutMs, 5000, 'timeoutMs')
  const maxResponseBytes = positive(options.maxResponseBytes, 64 * 1024, 'maxResponseBytes')
  const cooldownMs = positive(options.cooldownMs, 30_000, 'cooldownMs')
  const defaultMaxAgeMs = positive(options.defaultMaxAgeMs, 5 * 60_000, 'defaultMaxAgeMs')
  const maxMaxAgeMs = positive(options.maxMaxAgeMs, 24 * 3600_000, 'maxMaxAgeMs')
  const algorithms = new Set<RemoteAlgorithm>(options.algorithms ?? ['EdDSA', 'ES256', 'RS256'])
  for (const alg of algorithms as ReadonlySet<string>) {
    if (!Object.hasOwn(KTY, alg)) throw new TypeError(`Algorithm ${alg} cannot come from a JWKS`)
  }
  if (algorithms.size === 0) throw new TypeError('algorithms must not be empty')
  const maxEntries = readCacheOption(options.cache)
  const cache = maxEntries > 0 ? createVerifiedTokenCache(maxEntries) : undefined
  const defaultAudience = options.audience

  let keys: RemoteKeys | undefined
  let expiresAtMs = 0
  let lastAttemptMs = Number.NEGATIVE_INFINITY
  let inFlight: Promise<void> | undefined
  const context: VerifyContext = {
    issuer: options.issuer,
    clock,
    clockSkew,
    findKey: (kid) => keys?.byKid.get(kid),
  }

  async function download(): Promise<{ jwks: unknown; maxAgeMs: number | undefined }> {
    const controller = new AbortController()
    const timer = setTimeout(() => {
      controller.abort(new Error(`JWKS fetch timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    try {
      const response = await fetchJwks(jwksUrl, {
        signal: controller.signal,
        redirect: 'manual',
        headers: { accept: 'application/json' },
      })
      if (response.status !== 200) throw new Error(`JWKS answered ${response.status}`)
      const declared = Number(response.headers.get('content-length') ?? Number.NaN)
      if (declared > maxResponseBytes) throw new Error('JWKS response too large')
      const body = await readLimited(response, maxResponseBytes, controller)
      const jwks: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
      return { jwks, maxAgeMs: parseMaxAge(response.headers.get('cache-control')) }
    } finally {
      clearTimeout(timer)
    }
  }

  function refresh(): Promise<void> {
    inFlight ??= (async () => {
      lastAttemptMs = clock.now()
      try {
        const { jwks, maxAgeMs } = await download()
        const next = importRemoteKeys(jwks, algorithms)
        if (next.id !== keys?.id) cache?.clear()
        keys = next
        // Bounded both ways: max-age=0 must not turn every request into a fetch.
        const lifetime = Math.min(Math.max(maxAgeMs ?? defaultMaxAgeMs, cooldownMs), maxMaxAgeMs)
        expiresAtMs = clock.now() + lifetime
      } catch (cause) {
        throw new Error(`Cannot load the JWKS from ${jwksUrl.href}`, { cause })
      } finally {
        inFlight = undefined
      }
    })()
    return inFlight
  }

  async function ensureFresh(): Promise<void> {
    const now = clock.now()
    if (inFlight !== undefined) {
      await inFlight.catch(() => undefined)
      return
    }
    if (keys === undefined) {
      // Nothing to serve with: wait for a fetch, but still no more often than the cooldown.
      if (now - lastAttemptMs >= cooldownMs) await refresh()
      return
    }
    if (now >= expiresAtMs && now - lastAttemptMs >= cooldownMs) {
      // Stale keys keep serving if the refetch fails.
      await refresh().catch(() => undefined)
    }
  }

  return {
    reload: refresh,

    async verifyAccessToken(token, verifyOptions) {
      const audience = verifyOptions?.audience ?? defaultAudience
      assertNonEmptyString(audience, 'audience')
      const hit = cache?.get(token, clock.now(), audience)
      if (hit !== undefined) return hit
      await ensureFresh()
      if (keys === undefined) throw new Error(`No JWKS loaded from ${jwksUrl.href}`)
      let claims: AccessTokenClaims
      try {
        claims = verifyAccessToken(token, audience, context)
      } catch (error) {
        const kid = unknownKid(error, token)
        if (kid === undefined) throw error
        // A kid we do not know: perhaps the issuer rotated. Refetch once per cooldown; concurrent
        // misses share the fetch in flight.
        if (inFlight !== undefined) await inFlight.catch(() => undefined)
        else if (clock.now() - lastAttemptMs >= cooldownMs) await refresh().catch(() => undefined)
        claims = verifyAccessToken(token, audience, context)
      }
      cache?.set(token, claims, clock.now())
      return claims
    },
  }

  function unknownKid(error: unknown, token: string): string | undefined {
    if (!(error instanceof AuthError) || error.code !== 'invalid_signature') return undefined
    const kid = readKid(token)
    return kid !== undefined && keys?.byKid.has(kid) !== true ? kid : undefined
  }
}

function readKid(token: string): string | undefined {
  const header = decodeBase64url(token.slice(0, token.indexOf('.')))
  if (header === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(header.toString('utf8'))
    return isRecord(parsed) && typeof parsed['kid'] === 'string' ? parsed['kid'] : undefined
  } catch {
    return undefined
  }
}

async function readLimited(
  response: Response,
  maxBytes: number,
  controller: AbortController,
): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0)
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      controller.abort(new Error('JWKS response too large'))
      await reader.cancel().catch(() => undefined)
      throw new Error(`JWKS response larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}
