import type { JsonWebKey } from 'node:crypto'

import { generateKeySet } from './generate-key-set.ts'
import { isSigningAlgorithm, type SigningAlgorithm } from './signing-algorithm.ts'

/** Options of {@link rotateKeySet}. */
export interface RotateKeySetOptions {
  /** Algorithm of the new key; by default that of the current signing key. */
  alg?: SigningAlgorithm | undefined
  /** Epoch milliseconds. */
  now: number
  /** Drop retired keys whose `retired_at` (epoch seconds) is before this. */
  dropRetiredBefore?: number | undefined
}

/** The JWK Set after {@link rotateKeySet}, and what changed. */
export interface RotatedKeySet {
  keys: JsonWebKey[]
  /** kid of the new signing key. */
  added: string
  /** kids retired by this rotation. */
  retired: string[]
  /** kids removed by this rotation. */
  dropped: string[]
}

function isRetired(jwk: JsonWebKey): boolean {
  const ops = jwk['key_ops']
  return Array.isArray(ops) && !ops.includes('sign')
}

/**
 * The key set after one rotation: a new key in front signs, the keys that signed before become
 * verify-only with `retired_at` = now, and retired keys older than `dropRetiredBefore` go.
 * A pure transformation of the JWK Set (the CLI writes it); load the result with `loadKeySet`
 * to validate it.
 *
 * @throws TypeError for a non-finite `now` or cut-off, or when no key signs and no `alg` is given
 */
export async function rotateKeySet(
  current: { keys: JsonWebKey[] },
  options: RotateKeySetOptions,
): Promise<RotatedKeySet> {
  if (!Number.isFinite(options.now)) throw new TypeError('now must be epoch milliseconds')
  const { dropRetiredBefore } = options
  if (dropRetiredBefore !== undefined && !Number.isFinite(dropRetiredBefore)) {
    throw new TypeError('dropRetiredBefore must be epoch seconds')
  }
  if (!Array.isArray(current.keys)) throw new TypeError('current must be a JWK Set')
  const previousSigner = current.keys.find((jwk) => !isRetired(jwk))
  const previousAlg = previousSigner?.['alg']
  const alg = options.alg ?? (isSigningAlgorithm(previousAlg) ? previousAlg : undefined)
  if (alg === undefined) throw new TypeError('No current signing key: pass options.alg')

  const kids = new Set(current.keys.map((jwk) => jwk['kid']))
  let fresh = await generateKeySet(alg)
  while (kids.has(fresh.keys[0]?.['kid'])) fresh = await generateKeySet(alg)
  const [added] = fresh.keys
  if (added === undefined) throw new TypeError('generateKeySet returned no key')

  const nowSeconds = Math.floor(options.now / 1000)
  const retired: string[] = []
  const dropped: string[] = []
  const kept: JsonWebKey[] = []
  for (const jwk of current.keys) {
    const kid = String(jwk['kid'])
    if (!isRetired(jwk)) {
      retired.push(kid)
      kept.push({ ...jwk, key_ops: ['verify'], retired_at: nowSeconds })
      continue
    }
    const retiredAt = jwk['retired_at']
    if (
      dropRetiredBefore !== undefined &&
      typeof retiredAt === 'number' &&
      retiredAt < dropRetiredBefore
    ) {
      dropped.push(kid)
    } else {
      kept.push({ ...jwk })
    }
  }
  return { keys: [added, ...kept], added: String(added['kid']), retired, dropped }
}
