import { createPublicKey, type KeyObject } from 'node:crypto'

import { keyMaterialOf } from '../internal/key-material.ts'
import { generateKeySet } from '../keys/generate-key-set.ts'
import type { JwkSet, KeySet } from '../keys/key-set.ts'
import { loadKeySet } from '../keys/load-key-set.ts'
import type { SigningAlgorithm } from '../keys/signing-algorithm.ts'

/** A test key set and the key objects to forge tokens with. */
export interface TestKeys {
  readonly alg: SigningAlgorithm
  readonly kid: string
  readonly keySet: KeySet
  /** The private JWK Set it was loaded from. */
  readonly jwks: JwkSet
  /** Private key, or the secret for HS256. */
  readonly signingKey: KeyObject
  /** Public key, or the secret for HS256. */
  readonly verificationKey: KeyObject
}

const cache = new Map<SigningAlgorithm, Promise<TestKeys>>()

async function create(alg: SigningAlgorithm): Promise<TestKeys> {
  const jwks = await generateKeySet(alg, { kid: `test-${alg.toLowerCase()}` })
  const keySet = await loadKeySet(jwks)
  const { signingKey } = keyMaterialOf(keySet.signingKey)
  return Object.freeze({
    alg,
    kid: keySet.signingKey.kid,
    keySet,
    jwks,
    signingKey,
    verificationKey: alg === 'HS256' ? signingKey : createPublicKey(signingKey),
  })
}

/** A generated and loaded key set with one key, the same one for each alg within a process. */
export function testKeySet(alg: SigningAlgorithm): Promise<TestKeys> {
  let keys = cache.get(alg)
  if (keys === undefined) {
    keys = create(alg)
    cache.set(alg, keys)
  }
  return keys
}
