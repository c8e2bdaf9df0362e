import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto'

import type { SigningAlgorithm } from '../keys/signing-algorithm.ts'

/** What {@link forgeToken} builds. */
export interface ForgeTokenInput {
  /** An object (JSON-encoded) or raw JSON text, e.g. with duplicate names. */
  header: Record<string, unknown> | string
  payload: Record<string, unknown> | string
  /** How to sign `header.payload`; absent or false leaves the signature empty. */
  sign?: { alg: SigningAlgorithm; key: KeyObject | Uint8Array } | false | undefined
  /** The raw third segment, used as is (after any signing). */
  signature?: string | undefined
}

function encode(part: Record<string, unknown> | string): string {
  return Buffer.from(typeof part === 'string' ? part : JSON.stringify(part), 'utf8').toString(
    'base64url',
  )
}

function signWith(alg: SigningAlgorithm, key: KeyObject | Uint8Array, data: Buffer): Buffer {
  if (alg === 'HS256') return createHmac('sha256', key).update(data).digest()
  if (key instanceof Uint8Array) throw new TypeError(`${alg} signs with a KeyObject`)
  switch (alg) {
    case 'EdDSA':
      return cryptoSign(null, data, key)
    case 'ES256':
      return cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
    case 'RS256':
      return cryptoSign('sha256', data, key)
  }
}

/**
 * Builds any compact JWS, including malicious ones, for attack tests: `alg: none`, HS256 keyed
 * with a public key, embedded `jwk`, tampered payloads. The header is taken as given: nothing is
 * added or checked.
 *
 * @example
 * forgeToken({ header: { alg: 'none', typ: 'at+jwt', kid }, payload: claims })
 */
export function forgeToken(input: ForgeTokenInput): string {
  const signingInput = `${encode(input.header)}.${encode(input.payload)}`
  let signature = ''
  if (input.sign) {
    signature = signWith(
      input.sign.alg,
      input.sign.key,
      Buffer.from(signingInput, 'latin1'),
    ).toString('base64url')
  }
  if (input.signature !== undefined) signature = input.signature
  return `${signingInput}.${signature}`
}
