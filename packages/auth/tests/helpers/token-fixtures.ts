import { createHmac, sign } from 'node:crypto'

import { expect } from 'vitest'

import {
  AuthError,
  createManualClock,
  createTokenService,
  type ManualClock,
  type TokenService,
} from '../../src/index.ts'
import { forgeToken, type TestKeys } from '../../src/testing/index.ts'

export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const
/** Epoch ms, a whole second. */
export const NOW = 1_750_000_000_000
export const NOW_S = NOW / 1000
export const ISSUER = 'https://auth.warden.test'
export const AUDIENCE = 'warden-api'

export function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'user-1',
    aud: AUDIENCE,
    iat: NOW_S - 10,
    exp: NOW_S + 600,
    jti: 'jti-1',
    client_id: 'warden',
    ...overrides,
  }
}

export function validHeader(keys: TestKeys, overrides: Record<string, unknown> = {}) {
  return { alg: keys.alg, kid: keys.kid, typ: 'at+jwt', ...overrides }
}

/** A token signed with the test key, with the given header and payload (objects or raw JSON). */
export function signed(
  keys: TestKeys,
  parts: {
    header?: Record<string, unknown> | string
    payload?: Record<string, unknown> | string
  } = {},
): string {
  return forgeToken({
    header: parts.header ?? validHeader(keys),
    payload: parts.payload ?? validClaims(),
    sign: { alg: keys.alg, key: keys.signingKey },
  })
}

/** `signingInput` (the exact `header.payload` text) followed by its signature with the test key. */
export function signRaw(keys: TestKeys, signingInput: string): string {
  const data = Buffer.from(signingInput, 'latin1')
  let signature: Buffer
  switch (keys.alg) {
    case 'HS256':
      signature = createHmac('sha256', keys.signingKey).update(data).digest()
      break
    case 'ES256':
      signature = sign('sha256', data, { key: keys.signingKey, dsaEncoding: 'ieee-p1363' })
      break
    case 'EdDSA':
      signature = sign(null, data, keys.signingKey)
      break
    case 'RS256':
      signature = sign('sha256', data, keys.signingKey)
  }
  return `${signingInput}.${signature.toString('base64url')}`
}

export function serviceFor(
  keys: TestKeys,
  options: {
    clock?: ManualClock
    clockSkew?: number
    cache?: false | { maxEntries?: number }
  } = {},
): { service: TokenService; clock: ManualClock } {
  const clock = options.clock ?? createManualClock(NOW)
  const service = createTokenService({
    keys: keys.keySet,
    issuer: ISSUER,
    audience: AUDIENCE,
    clock,
    clockSkew: options.clockSkew ?? 0,
    cache: options.cache ?? false,
  })
  return { service, clock }
}

/** The AuthError code `run` throws; fails the test if it returns or throws anything else. */
export function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    return (error as AuthError).code
  }
  throw new Error('expected an AuthError, but nothing was thrown')
}

export async function asyncCodeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    return (error as AuthError).code
  }
  throw new Error('expected an AuthError, but nothing was thrown')
}

export function b64(text: string | Buffer): string {
  return (typeof text === 'string' ? Buffer.from(text) : text).toString('base64url')
}
