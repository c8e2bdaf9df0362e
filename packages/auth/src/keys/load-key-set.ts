import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { readFile } from 'node:fs/promises'

import { KeySetError } from '../errors/key-set-error.ts'
import { assessSecretStrength } from '../internal/assess-secret-strength.ts'
import { decodeBase64url } from '../internal/base64url.ts'
import { attachKeyMaterial, createSign, createVerifySignature } from '../internal/key-material.ts'
import type { KeySet, PublicJwk, SigningKeyInfo } from './key-set.ts'
import { isSigningAlgorithm, type SigningAlgorithm } from './signing-algorithm.ts'

const MAX_KID_LENGTH = 128
const MAX_KEYS = 100
const MIN_RSA_BITS = 2048

type Jwk = Record<string, unknown>

const KTY_OF: Record<SigningAlgorithm, string> = {
  EdDSA: 'OKP',
  ES256: 'EC',
  RS256: 'RSA',
  HS256: 'oct',
}
const CRV_OF: Partial<Record<SigningAlgorithm, string>> = { EdDSA: 'Ed25519', ES256: 'P-256' }
// What each kind of key needs to sign; a JWK without these is only a public key.
const PRIVATE_MEMBERS: Record<SigningAlgorithm, readonly string[]> = {
  EdDSA: ['d', 'x'],
  ES256: ['d', 'x', 'y'],
  RS256: ['d', 'n', 'e', 'p', 'q', 'dp', 'dq', 'qi'],
  HS256: ['k'],
}
const PUBLIC_MEMBERS: Record<SigningAlgorithm, readonly string[]> = {
  EdDSA: ['crv', 'x'],
  ES256: ['crv', 'x', 'y'],
  RS256: ['n', 'e'],
  HS256: [],
}

interface LoadedKey {
  readonly info: SigningKeyInfo
  readonly fingerprint: string
}

function isRecord(value: unknown): value is Jwk {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Loads a JWK Set of private signing keys and imports each key once as a `node:crypto`
 * KeyObject. Each key needs a `kid` (1 to 128 characters) and exactly one `alg` matching its
 * type: EdDSA (OKP Ed25519), ES256 (EC P-256), RS256 (RSA of 2048 bits or more) or HS256 (`oct`
 * of at least 32 random-looking bytes). `"key_ops": ["verify"]` makes a key verify-only: with
 * an optional `retired_at` (epoch seconds) it has stopped signing; with `staged_at` it is
 * published ahead of signing, so that verifiers caching the JWKS know it before its first token
 * (staged rotation). The first key that is not verify-only signs.
 *
 * @throws KeySetError `invalid_key_set`, `missing_kid`, `duplicate_kid`, `missing_alg`,
 *   `unsupported_key` (wrong type for the alg, or a public-only key), `weak_key` (short RSA,
 *   short or low-entropy secret), `no_signing_key` (every key retired)
 * @example
 * const keys = await loadKeySet(process.env.AUTH_SIGNING_KEYS) // in the server's config only
 */
export function loadKeySet(source: string | { keys: unknown[] }): Promise<KeySet> {
  return Promise.resolve().then(() => buildKeySet(parseSource(source)))
}

/**
 * Reads a JWK Set file and loads it with {@link loadKeySet}.
 *
 * @throws KeySetError as {@link loadKeySet}, and `invalid_key_set` when the file cannot be read
 */
export async function loadKeySetFile(path: string): Promise<KeySet> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new KeySetError('invalid_key_set', `Cannot read the key set file ${path}`, { cause })
  }
  return loadKeySet(text)
}

function parseSource(source: unknown): unknown[] {
  let parsed: unknown = source
  if (typeof source === 'string') {
    try {
      parsed = JSON.parse(source)
    } catch (cause) {
      throw new KeySetError('invalid_key_set', 'The key set is not valid JSON', { cause })
    }
  }
  if (!isRecord(parsed) || !Array.isArray(parsed['keys'])) {
    throw new KeySetError('invalid_key_set', 'A key set is a JSON object with a "keys" array')
  }
  const keys: unknown[] = parsed['keys']
  if (keys.length === 0) throw new KeySetError('no_signing_key', 'The key set has no keys')
  if (keys.length > MAX_KEYS) {
    throw new KeySetError('invalid_key_set', `The key set has more than ${MAX_KEYS} keys`)
  }
  return keys
}

function buildKeySet(jwks: readonly unknown[]): KeySet {
  const loaded: LoadedKey[] = []
  const byKid = new Map<string, SigningKeyInfo>()
  jwks.forEach((jwk, index) => {
    const key = loadKey(jwk, index)
    if (byKid.has(key.info.kid)) {
      throw new KeySetError('duplicate_kid', `Two keys have the kid "${key.info.kid}"`, {
        kid: key.info.kid,
      })
    }
    byKid.set(key.info.kid, key.info)
    loaded.push(key)
  })
  const keys = Object.freeze(loaded.map((key) => key.info))
  const signingKey = keys.find((key) => !key.retired)
  if (signingKey === undefined) {
    throw new KeySetError('no_signing_key', 'Every key is retired (key_ops ["verify"]): none signs')
  }
  const id = createHash('sha256')
    .update(JSON.stringify(loaded.map((key) => key.fingerprint)))
    .digest('base64url')
    .slice(0, 22)
  const publicKeys = keys.flatMap((key) => (key.publicJwk === undefined ? [] : [key.publicJwk]))
  return Object.freeze({
    id,
    signingKey,
    keys,
    get: (kid: string) => byKid.get(kid),
    publicJwks: () => ({ keys: publicKeys.map((jwk) => ({ ...jwk })) }),
  })
}

function loadKey(jwk: unknown, index: number): LoadedKey {
  if (!isRecord(jwk)) {
    throw new KeySetError('invalid_key_set', `Key #${index} is not a JSON object`)
  }
  const kid = jwk['kid']
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new KeySetError('missing_kid', `Key #${index} has no "kid" (a non-empty string)`)
  }
  const fail = (code: KeySetError['code'], reason: string): never => {
    throw new KeySetError(code, `Key "${kid}": ${reason}`, { kid })
  }
  if (kid.length > MAX_KID_LENGTH) fail('invalid_key_set', `kid longer than ${MAX_KID_LENGTH}`)

  const alg = jwk['alg']
  if (alg === undefined || alg === null || alg === '') fail('missing_alg', 'no "alg"')
  if (!isSigningAlgorithm(alg)) {
    return fail('unsupported_key', `"alg" must be one of EdDSA, ES256, RS256, HS256`)
  }
  const kty = KTY_OF[alg]
  if (jwk['kty'] !== kty) fail('unsupported_key', `alg ${alg} needs kty "${kty}"`)
  const crv = CRV_OF[alg]
  if (crv !== undefined && jwk['crv'] !== crv)
    fail('unsupported_key', `alg ${alg} needs crv "${crv}"`)
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig')
    fail('unsupported_key', '"use" must be "sig"')

  const retired = readKeyOps(jwk['key_ops'], fail)
  const retiredAt = readEpochSeconds(jwk, 'retired_at', fail)
  const stagedAt = readEpochSeconds(jwk, 'staged_at', fail)
  for (const [member, value] of [
    ['retired_at', retiredAt],
    ['staged_at', stagedAt],
  ] as const) {
    if (value !== undefined && !retired)
      fail('invalid_key_set', `"${member}" on a key that still signs`)
  }
  // A staged key waits to sign; a retired one has stopped: one key cannot be both.
  if (retiredAt !== undefined && stagedAt !== undefined) {
    fail('invalid_key_set', '"staged_at" and "retired_at" on the same key')
  }

  for (const member of PRIVATE_MEMBERS[alg]) {
    const value = jwk[member]
    if (value === undefined) {
      fail(
        'unsupported_key',
        `no "${member}": a public-only key cannot sign; this set needs private keys`,
      )
    }
    if (typeof value !== 'string' || decodeBase64url(value) === undefined) {
      fail('invalid_key_set', `"${member}" is not base64url`)
    }
  }

  const info: { -readonly [K in keyof SigningKeyInfo]: SigningKeyInfo[K] } = { kid, alg, retired }
  if (retiredAt !== undefined) info.retiredAt = retiredAt
  if (stagedAt !== undefined) info.stagedAt = stagedAt

  let signingKey: KeyObject
  let verifyingKey: KeyObject
  let fingerprint: string
  if (alg === 'HS256') {
    const secret = Buffer.from(String(jwk['k']), 'base64url')
    const weakness = assessSecretStrength(secret)
    if (weakness !== undefined) fail('weak_key', `weak HS256 secret: ${weakness}`)
    signingKey = createSecretKey(secret)
    verifyingKey = signingKey
    fingerprint = createHash('sha256').update('oct\0').update(secret).digest('base64url')
    secret.fill(0)
  } else {
    const material: JsonWebKey = { kty }
    for (const member of [...PUBLIC_MEMBERS[alg], ...PRIVATE_MEMBERS[alg]]) {
      material[member] = jwk[member]
    }
    try {
      signingKey = createPrivateKey({ key: material, format: 'jwk' })
    } catch (cause) {
      throw new KeySetError('invalid_key_set', `Key "${kid}": cannot import it`, { kid, cause })
    }
    verifyingKey = createPublicKey(signingKey)
    if (alg === 'RS256') {
      const bits = verifyingKey.asymmetricKeyDetails?.modulusLength ?? 0
      if (bits < MIN_RSA_BITS) fail('weak_key', `RSA key of ${bits} bits; at least ${MIN_RSA_BITS}`)
    }
    const exported = verifyingKey.export({ format: 'jwk' })
    // The public members must belong to the private key: otherwise the JWKS would publish a key
    // that does not verify what this one signs.
    for (const member of PUBLIC_MEMBERS[alg]) {
      if (exported[member] !== jwk[member])
        fail('invalid_key_set', `"${member}" does not match "d"`)
    }
    const publicJwk = toPublicJwk(alg, kid, exported)
    info.publicJwk = publicJwk
    fingerprint = JSON.stringify(publicJwk)
  }

  const frozen: SigningKeyInfo = Object.freeze(info)
  attachKeyMaterial(frozen, {
    verificationKey: Object.freeze({ kid, alg, verify: createVerifySignature(alg, verifyingKey) }),
    signingKey,
    sign: createSign(alg, signingKey),
  })
  return {
    info: frozen,
    fingerprint: JSON.stringify([kid, alg, retired, retiredAt, stagedAt, fingerprint]),
  }
}

/** An optional member holding epoch seconds. */
function readEpochSeconds(
  jwk: Jwk,
  member: 'retired_at' | 'staged_at',
  fail: (code: 'invalid_key_set', reason: string) => never,
): number | undefined {
  const value = jwk[member]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return fail('invalid_key_set', `"${member}" must be epoch seconds`)
  }
  return value
}

function readKeyOps(keyOps: unknown, fail: (code: 'invalid_key_set', reason: string) => never) {
  if (keyOps === undefined) return false
  if (
    !Array.isArray(keyOps) ||
    keyOps.length === 0 ||
    keyOps.some((op) => op !== 'sign' && op !== 'verify') ||
    new Set(keyOps).size !== keyOps.length
  ) {
    return fail('invalid_key_set', '"key_ops" must be ["sign", "verify"], ["sign"] or ["verify"]')
  }
  return !keyOps.includes('sign')
}

function toPublicJwk(
  alg: Exclude<SigningAlgorithm, 'HS256'>,
  kid: string,
  jwk: JsonWebKey,
): PublicJwk {
  const text = (member: string) => String(jwk[member])
  switch (alg) {
    case 'EdDSA':
      return Object.freeze({ kty: 'OKP', crv: 'Ed25519', x: text('x'), kid, alg, use: 'sig' })
    case 'ES256':
      return Object.freeze({
        kty: 'EC',
        crv: 'P-256',
        x: text('x'),
        y: text('y'),
        kid,
        alg,
        use: 'sig',
      })
    case 'RS256':
      return Object.freeze({ kty: 'RSA', n: text('n'), e: text('e'), kid, alg, use: 'sig' })
  }
}
