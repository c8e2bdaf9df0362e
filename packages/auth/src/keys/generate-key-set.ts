import { generateKeyPair, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'

import { assessSecretStrength, MIN_SECRET_BYTES } from '../internal/assess-secret-strength.ts'
import type { JwkSet } from './key-set.ts'
import { isSigningAlgorithm, type SigningAlgorithm } from './signing-algorithm.ts'

const generatePair = promisify(generateKeyPair)
const DEVELOPMENT_PREFIX = 'dev-'
const MAX_KID_LENGTH = 128

/** Options of {@link generateKeySet}. */
export interface GenerateKeySetOptions {
  kid?: string | undefined
  /** Marks the key as a development key: its kid starts with `dev-`. */
  development?: boolean | undefined
}

async function generatePrivateKey(alg: SigningAlgorithm): Promise<JsonWebKey> {
  let privateKey: KeyObject
  switch (alg) {
    case 'EdDSA':
      ;({ privateKey } = await generatePair('ed25519'))
      break
    case 'ES256':
      ;({ privateKey } = await generatePair('ec', { namedCurve: 'P-256' }))
      break
    case 'RS256':
      ;({ privateKey } = await generatePair('rsa', { modulusLength: 2048 }))
      break
    case 'HS256': {
      let secret = randomBytes(MIN_SECRET_BYTES)
      // About one draw in ten million contains a dictionary string by chance; redraw it so that
      // a generated key always loads.
      while (assessSecretStrength(secret) !== undefined) secret = randomBytes(MIN_SECRET_BYTES)
      return { kty: 'oct', k: secret.toString('base64url') }
    }
  }
  return privateKey.export({ format: 'jwk' })
}

/**
 * A fresh private JWK Set holding one key of the given algorithm, ready for
 * {@link loadKeySet}: a random base64url `kid` of 16 characters unless one is given (prefixed
 * `dev-` for development keys), `use: "sig"`, and for HS256 32 random bytes.
 *
 * @throws TypeError for an unknown algorithm or a kid that is empty or over 128 characters
 * @example
 * const jwks = await generateKeySet('EdDSA') // what `pnpm warden keys generate` prints
 */
export async function generateKeySet(
  alg: SigningAlgorithm,
  options: GenerateKeySetOptions = {},
): Promise<JwkSet> {
  if (!isSigningAlgorithm(alg)) throw new TypeError(`Unsupported algorithm ${String(alg)}`)
  let kid = options.kid ?? randomBytes(12).toString('base64url')
  if (typeof kid !== 'string' || kid.length === 0)
    throw new TypeError('kid must be a non-empty string')
  if (options.development === true && !kid.startsWith(DEVELOPMENT_PREFIX))
    kid = DEVELOPMENT_PREFIX + kid
  if (kid.length > MAX_KID_LENGTH)
    throw new TypeError(`kid must be at most ${MAX_KID_LENGTH} characters`)
  const jwk = await generatePrivateKey(alg)
  return { keys: [{ ...jwk, kid, alg, use: 'sig' }] }
}
