import type { JsonWebKey } from 'node:crypto'

import type { SigningAlgorithm } from './signing-algorithm.ts'

/** A private JWK Set as stored in configuration (`AUTH_SIGNING_KEYS`). */
export interface JwkSet {
  keys: JsonWebKey[]
}

/** The public half of an asymmetric signing key, as served at `/.well-known/jwks.json`. */
export type PublicJwk =
  | {
      readonly kty: 'OKP'
      readonly crv: 'Ed25519'
      readonly x: string
      readonly kid: string
      readonly alg: 'EdDSA'
      readonly use: 'sig'
    }
  | {
      readonly kty: 'EC'
      readonly crv: 'P-256'
      readonly x: string
      readonly y: string
      readonly kid: string
      readonly alg: 'ES256'
      readonly use: 'sig'
    }
  | {
      readonly kty: 'RSA'
      readonly n: string
      readonly e: string
      readonly kid: string
      readonly alg: 'RS256'
      readonly use: 'sig'
    }

/** What may be known about a loaded key: never its private or secret material. */
export interface SigningKeyInfo {
  readonly kid: string
  readonly alg: SigningAlgorithm
  /** Verify-only: the JWK has `"key_ops": ["verify"]`. */
  readonly retired: boolean
  /** When it was retired (epoch seconds), from the JWK's `retired_at`. */
  readonly retiredAt?: number
  /**
   * When it was published ahead of signing (epoch seconds), from the JWK's `staged_at`: a
   * verify-only key waiting to be promoted to signer, not one that has stopped signing.
   */
  readonly stagedAt?: number
  /** The public half, for asymmetric keys only. */
  readonly publicJwk?: PublicJwk
}

/**
 * A loaded, validated set of signing keys (from {@link loadKeySet}). The first key that is not
 * retired signs; every key verifies tokens that name its `kid`.
 */
export interface KeySet {
  /** Derived from the keys' content: it changes whenever the set changes. */
  readonly id: string
  /** The first key that is not retired. */
  readonly signingKey: SigningKeyInfo
  readonly keys: readonly SigningKeyInfo[]
  get(kid: string): SigningKeyInfo | undefined
  publicJwks(): { keys: PublicJwk[] }
}
