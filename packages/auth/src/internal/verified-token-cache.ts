import type { AccessTokenClaims } from '../tokens/access-token-claims.ts'
import { hasAudience } from '../tokens/verify-access-token.ts'

export interface VerifiedTokenCache {
  /** The cached claims, only while `nowMs < exp` and when `aud` holds `audience`. */
  get(token: string, nowMs: number, audience: string): AccessTokenClaims | undefined
  /** Remembers a token that has just passed full verification. */
  set(token: string, claims: AccessTokenClaims, nowMs: number): void
  clear(): void
  readonly size: number
}

interface Entry {
  readonly token: string
  readonly claims: AccessTokenClaims
  readonly expiresAtMs: number
}

export const DEFAULT_CACHE_ENTRIES = 10_000

/** The signature segment: what the map is indexed by (see `createVerifiedTokenCache`). */
function indexOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1)
}

/**
 * Verified tokens matched on the whole token string: a hit needs the identical string, so it is
 * exactly as strong as the verification that put it there. The map is indexed by the signature
 * segment only, and a hit then compares the whole string: a lookup hashes ~86 characters instead
 * of the ~550 of a whole token, which is a fresh string on every request. Two tokens that share
 * a signature segment (at most one of them can be valid) take each other's place; neither is
 * ever served for the other. A hit never outlives `exp` (the skew is not applied: past `exp`
 * the full verification decides), and failures are never stored, so garbage cannot push out
 * real entries. Eviction is oldest-first (Map insertion order).
 */
export function createVerifiedTokenCache(maxEntries: number): VerifiedTokenCache {
  const entries = new Map<string, Entry>()
  return {
    get(token, nowMs, audience) {
      const key = indexOf(token)
      const entry = entries.get(key)
      if (entry?.token !== token) return undefined
      if (nowMs >= entry.expiresAtMs) {
        entries.delete(key)
        return undefined
      }
      return hasAudience(entry.claims.aud, audience) ? entry.claims : undefined
    },
    set(token, claims, nowMs) {
      const expiresAtMs = claims.exp * 1000
      if (nowMs >= expiresAtMs) return
      const key = indexOf(token)
      if (!entries.has(key) && entries.size >= maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(key, { token, claims, expiresAtMs })
    },
    clear() {
      entries.clear()
    },
    get size() {
      return entries.size
    },
  }
}

export function readCacheOption(
  cache: false | { maxEntries?: number | undefined } | undefined,
): number {
  if (cache === false) return 0
  const maxEntries = cache?.maxEntries ?? DEFAULT_CACHE_ENTRIES
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('cache.maxEntries must be a positive integer')
  }
  return maxEntries
}
