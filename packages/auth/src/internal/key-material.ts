import { createHmac, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto'

import type { SigningKeyInfo } from '../keys/key-set.ts'
import type { SigningAlgorithm } from '../keys/signing-algorithm.ts'

/** Checks a JWS signature over the ASCII signing input, with the key's one algorithm. */
export type VerifySignature = (data: Uint8Array, signature: Uint8Array) => boolean

export interface VerificationKey {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly verify: VerifySignature
}

export interface KeyMaterial {
  readonly verificationKey: VerificationKey
  /** Private or secret key object, for signing. */
  readonly signingKey: KeyObject
  readonly sign: (data: Uint8Array) => Buffer
}

const HS256_BYTES = 32
const ES256_BYTES = 64

/**
 * The verify function of one key, built once. The algorithm comes from the key, never from a
 * token's header, which is what makes key-confusion attacks impossible.
 */
export function createVerifySignature(alg: SigningAlgorithm, key: KeyObject): VerifySignature {
  switch (alg) {
    case 'EdDSA':
      return (data, signature) => verify(null, data, key, signature)
    case 'ES256': {
      const input = { key, dsaEncoding: 'ieee-p1363' as const }
      // JWS carries R‖S (RFC 7518 §3.4): exactly 64 bytes. OpenSSL rejects r = s = 0 itself
      // (CVE-2022-21449 was Java's), and a test keeps it that way.
      return (data, signature) =>
        signature.length === ES256_BYTES && verify('sha256', data, input, signature)
    }
    case 'RS256':
      return (data, signature) => verify('sha256', data, key, signature)
    case 'HS256':
      return (data, signature) =>
        signature.length === HS256_BYTES &&
        timingSafeEqual(createHmac('sha256', key).update(data).digest(), signature)
  }
}

export function createSign(alg: SigningAlgorithm, key: KeyObject): (data: Uint8Array) => Buffer {
  switch (alg) {
    case 'EdDSA':
      return (data) => sign(null, data, key)
    case 'ES256': {
      const input = { key, dsaEncoding: 'ieee-p1363' as const }
      return (data) => sign('sha256', data, input)
    }
    case 'RS256':
      return (data) => sign('sha256', data, key)
    case 'HS256':
      return (data) => createHmac('sha256', key).update(data).digest()
  }
}

// Private and secret key objects stay out of the public SigningKeyInfo, so that logging or
// serialising a KeySet can never reveal them.
const materials = new WeakMap<SigningKeyInfo, KeyMaterial>()

export function attachKeyMaterial(info: SigningKeyInfo, material: KeyMaterial): void {
  materials.set(info, material)
}

export function keyMaterialOf(info: SigningKeyInfo): KeyMaterial {
  const material = materials.get(info)
  if (material === undefined) {
    throw new TypeError(`Key "${info.kid}" was not loaded by loadKeySet`)
  }
  return material
}
