import { systemClock, type Clock } from '../clock/clock.ts'
import { keyMaterialOf, type VerificationKey } from '../internal/key-material.ts'
import {
  createVerifiedTokenCache,
  readCacheOption,
  type VerifiedTokenCache,
} from '../internal/verified-token-cache.ts'
import type { KeySet } from '../keys/key-set.ts'
import type { AccessTokenClaims } from './access-token-claims.ts'
import { createJti } from './token-issued-at.ts'
import { verifyAccessToken, type VerifyContext } from './verify-access-token.ts'

/** Options of {@link createTokenService}. */
export interface TokenServiceOptions {
  keys: KeySet
  /** `iss` of issued tokens, and the only `iss` accepted. */
  issuer: string
  /** This API's own audience: the default wanted `aud` when verifying. */
  audience: string
  clock?: Clock | undefined
  /** Leeway in seconds on exp, nbf and iat; 0 to 300, default 0. */
  clockSkew?: number | undefined
  /** Seconds; default 900. */
  accessTokenTtl?: number | undefined
  /** Seconds; default 3600. */
  maxAccessTokenTtl?: number | undefined
  /** The verified-token cache; `false` turns it off. */
  cache?: false | { maxEntries?: number | undefined } | undefined
}

/** What an access token is issued for. */
export interface IssueAccessTokenInput {
  sub: string
  audience: string
  clientId: string
  roles?: readonly string[] | undefined
  scope?: string | undefined
  tenantId?: string | undefined
  /** Seconds; default the service's accessTokenTtl, at most its maxAccessTokenTtl. */
  ttl?: number | undefined
}

/** An issued access token, its claims and its lifetime. */
export interface IssuedAccessToken {
  token: string
  claims: AccessTokenClaims
  /** Seconds. */
  expiresIn: number
  /** Epoch milliseconds. */
  expiresAt: number
}

/** Issues and verifies access tokens with one key set. */
export interface TokenService {
  /**
   * Signs an access token: header `{ alg, kid, typ: "at+jwt" }`; claims iss, sub, aud, iat, exp,
   * jti, client_id, plus roles, scope and tid when given. Time comes from the clock.
   *
   * @throws TypeError (as a rejection) for empty strings, wrong types or a ttl over the maximum
   */
  issueAccessToken(input: IssueAccessTokenInput): Promise<IssuedAccessToken>
  /**
   * Verifies a token synchronously and returns its claims, deeply frozen. `options.audience`
   * replaces the service's audience for this call. See `verify-access-token.ts` for the rules
   * and the code each failure gives.
   *
   * @throws AuthError with a token code
   */
  verifyAccessToken(token: string, options?: { audience?: string | undefined }): AccessTokenClaims
  /**
   * The claims `verifyAccessToken` would return for `token` from its cache: only for the very
   * string that passed full verification (for this audience) and only until its `exp`. It
   * verifies nothing itself, so undefined means "not in the cache", not "invalid" (and it is
   * always undefined with the cache off). For a caller that can skip work it would do before
   * verifying when the token is already known; every other answer needs `verifyAccessToken`.
   */
  cachedAccessToken(
    token: string,
    options?: { audience?: string | undefined },
  ): AccessTokenClaims | undefined
  /** The current key set. */
  readonly keys: KeySet
  /** Swaps the key set (rotation without restart) and drops the verified-token cache. */
  setKeys(keys: KeySet): void
}

const MAX_CLOCK_SKEW = 300

export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`)
  }
}

export function readClockSkew(value: number | undefined): number {
  const skew = value ?? 0
  if (!Number.isFinite(skew) || skew < 0 || skew > MAX_CLOCK_SKEW) {
    throw new TypeError(`clockSkew must be between 0 and ${MAX_CLOCK_SKEW} seconds`)
  }
  return skew
}

function assertPositiveSeconds(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive whole number of seconds`)
  }
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

interface ActiveKeys {
  readonly keySet: KeySet
  readonly byKid: ReadonlyMap<string, VerificationKey>
  readonly sign: (data: Uint8Array) => Buffer
  readonly encodedHeader: string
}

function activate(keySet: KeySet): ActiveKeys {
  if (typeof keySet !== 'object' || typeof keySet.get !== 'function') {
    throw new TypeError('keys must be a KeySet from loadKeySet')
  }
  const byKid = new Map(keySet.keys.map((info) => [info.kid, keyMaterialOf(info).verificationKey]))
  const { kid, alg } = keySet.signingKey
  return {
    keySet,
    byKid,
    sign: keyMaterialOf(keySet.signingKey).sign,
    encodedHeader: base64urlJson({ alg, kid, typ: 'at+jwt' }),
  }
}

/**
 * The issuing and verifying side of access tokens. Options are checked here, at boot.
 * Verification keeps a bounded cache of verified tokens (by the whole token string, never past
 * `exp`, dropped on `setKeys`); `cache: false` turns it off.
 *
 * @throws TypeError for an empty issuer or audience, a ttl that is not a positive whole number
 *   of seconds or exceeds the maximum, a skew outside 0..300, or keys not from loadKeySet
 * @example
 * const tokens = createTokenService({ keys, issuer: 'https://auth.example.com', audience: 'api' })
 * const { token } = await tokens.issueAccessToken({ sub, audience: 'api', clientId: 'web' })
 * const claims = tokens.verifyAccessToken(token)
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  assertNonEmptyString(options.issuer, 'issuer')
  assertNonEmptyString(options.audience, 'audience')
  const clock = options.clock ?? systemClock
  if (typeof clock.now !== 'function') throw new TypeError('clock must have now()')
  const clockSkew = readClockSkew(options.clockSkew)
  const maxTtl = options.maxAccessTokenTtl ?? 3600
  assertPositiveSeconds(maxTtl, 'maxAccessTokenTtl')
  const defaultTtl = options.accessTokenTtl ?? 900
  assertPositiveSeconds(defaultTtl, 'accessTokenTtl')
  if (defaultTtl > maxTtl) throw new TypeError('accessTokenTtl must not exceed maxAccessTokenTtl')
  const maxEntries = readCacheOption(options.cache)
  const cache: VerifiedTokenCache | undefined =
    maxEntries > 0 ? createVerifiedTokenCache(maxEntries) : undefined
  const { issuer, audience: defaultAudience } = options

  let active = activate(options.keys)
  const context: VerifyContext = {
    issuer,
    clock,
    clockSkew,
    findKey: (kid) => active.byKid.get(kid),
  }

  return {
    get keys() {
      return active.keySet
    },
    setKeys(keys) {
      active = activate(keys)
      cache?.clear()
    },

    issueAccessToken(input) {
      return Promise.resolve().then(() => issue(input))
    },

    verifyAccessToken(token, verifyOptions) {
      const audience = verifyOptions?.audience ?? defaultAudience
      assertNonEmptyString(audience, 'audience')
      if (cache === undefined) return verifyAccessToken(token, audience, context)
      const hit = cache.get(token, clock.now(), audience)
      if (hit !== undefined) return hit
      const claims = verifyAccessToken(token, audience, context)
      cache.set(token, claims, clock.now())
      return claims
    },

    cachedAccessToken(token, lookupOptions) {
      return cache?.get(token, clock.now(), lookupOptions?.audience ?? defaultAudience)
    },
  }

  function issue(input: IssueAccessTokenInput): IssuedAccessToken {
    assertNonEmptyString(input.sub, 'sub')
    assertNonEmptyString(input.audience, 'audience')
    assertNonEmptyString(input.clientId, 'clientId')
    const ttl = input.ttl ?? defaultTtl
    assertPositiveSeconds(ttl, 'ttl')
    if (ttl > maxTtl) throw new TypeError(`ttl must be at most ${maxTtl} seconds`)
    const { roles, scope, tenantId } = input
    if (roles !== undefined && !isStringList(roles)) throw new TypeError('roles must be strings')
    if (scope !== undefined && typeof scope !== 'string')
      throw new TypeError('scope must be a string')
    if (tenantId !== undefined && typeof tenantId !== 'string') {
      throw new TypeError('tenantId must be a string')
    }

    const nowMs = clock.now()
    const iat = Math.floor(nowMs / 1000)
    const claims: AccessTokenClaims = {
      iss: issuer,
      sub: input.sub,
      aud: input.audience,
      iat,
      exp: iat + ttl,
      jti: createJti(nowMs),
      client_id: input.clientId,
    }
    if (roles !== undefined) claims.roles = Object.freeze([...roles]) as string[]
    if (scope !== undefined) claims.scope = scope
    if (tenantId !== undefined) claims.tid = tenantId

    const { encodedHeader, sign } = active
    const signingInput = `${encodedHeader}.${base64urlJson(claims)}`
    const signature = sign(Buffer.from(signingInput, 'latin1')).toString('base64url')
    return {
      token: `${signingInput}.${signature}`,
      claims: Object.freeze(claims),
      expiresIn: ttl,
      expiresAt: claims.exp * 1000,
    }
  }
}
