import { randomBytes, type JsonWebKey } from 'node:crypto'
import { unwatchFile, watchFile, type Stats } from 'node:fs'
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import {
  generateKeySet,
  isDevelopmentKey,
  KeySetError,
  loadKeySet,
  loadKeySetFile,
  type KeySet,
  type SigningAlgorithm,
  type TokenService,
} from '@warden/auth'

import { ConfigError, type Config } from './config.ts'
import type { Logger } from './logger.ts'

/** Where the development key lives: generated once, never used in production. */
export const developmentKeyFile = (dataDir: string) => join(dataDir, 'dev-signing-keys.json')

async function developmentKeys(dataDir: string, logger: Logger): Promise<KeySet> {
  const file = developmentKeyFile(dataDir)
  let json: string
  try {
    json = await readFile(file, 'utf8')
  } catch {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    json = JSON.stringify(await generateKeySet('EdDSA', { development: true }), null, 2)
    await writeFile(file, json, { mode: 0o600, flag: 'wx' }).catch(async (error: unknown) => {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      json = await readFile(file, 'utf8')
    })
    await chmod(file, 0o600)
  }
  logger.warn(
    `Using the DEVELOPMENT signing key in ${file}. It is refused in production: set AUTH_SIGNING_KEYS or AUTH_SIGNING_KEYS_FILE (pnpm warden keys generate --alg EdDSA).`,
  )
  return loadKeySet(json)
}

/**
 * Loads the signing keys the configuration names, or the development key outside production.
 * In production it refuses a development key; a weak, short or malformed key is refused
 * everywhere (by `loadKeySet`).
 *
 * @throws ConfigError naming the variable and the key
 */
export async function loadSigningKeys(config: Config, logger: Logger): Promise<KeySet> {
  const source = config.signingKeys
  const variable = source.source === 'file' ? 'AUTH_SIGNING_KEYS_FILE' : 'AUTH_SIGNING_KEYS'
  let keys: KeySet
  try {
    keys =
      source.source === 'env'
        ? await loadKeySet(source.json)
        : source.source === 'file'
          ? await loadKeySetFile(source.path)
          : await developmentKeys(config.dataDir, logger)
  } catch (error) {
    if (error instanceof KeySetError || error instanceof SyntaxError) {
      throw new ConfigError([`${variable}: ${error.message}`])
    }
    throw error
  }
  if (config.production) {
    const development = keys.keys.filter(isDevelopmentKey).map((key) => key.kid)
    if (development.length > 0) {
      throw new ConfigError([
        `${variable}: development key(s) ${development.join(', ')} are refused in production`,
      ])
    }
  }
  return keys
}

/** Seconds a JWKS answer may be cached: its `Cache-Control: public, max-age`. */
export const JWKS_MAX_AGE_SECONDS = 300

/**
 * Seconds a staged key must have been published before it may sign. A verifier may keep a JWKS
 * fetched just before the key appeared for `max-age`, and an HTTP cache between the two may have
 * served it up to `max-age` old already: twice `max-age`. The remote verifier's own floor (its
 * 30-second cooldown) is below that.
 */
export const STAGE_WAIT_SECONDS = 2 * JWKS_MAX_AGE_SECONDS

/** Seconds allowed for every instance to reload after a step (a late one signs with the old key). */
const RELOAD_MARGIN_SECONDS = 300

/**
 * Seconds a retired key is kept, verify-only, after it stopped signing: the longest lifetime of
 * an access token it may have signed, the allowed clock skew, and the reload margin.
 */
export function retiredKeyLifetime(config: Pick<Config, 'accessTokenTtl' | 'clockSkew'>): number {
  return Math.max(3600, config.accessTokenTtl) + config.clockSkew + RELOAD_MARGIN_SECONDS
}

/**
 * A step of a staged rotation (README, "Key rotation runbook"):
 * - `stage`: a new key goes in front, published in the JWKS but verify-only (`staged_at`);
 * - `promote`: the staged key signs; the signer becomes verify-only (`retired_at`);
 * - `abort`: the staged key is removed before it ever signed;
 * - `rollback`: the key retired last signs again; the current signer becomes verify-only;
 * - `prune`: only what every step also does: drop retired keys whose tokens have all expired.
 */
export type KeyRotationStep = 'stage' | 'promote' | 'abort' | 'rollback' | 'prune'

/** Why a rotation step was refused; the key file is left as it was. */
export type KeyRotationErrorCode =
  'already_staged' | 'nothing_staged' | 'too_early' | 'nothing_to_roll_back' | 'no_signing_key'

/** A refused rotation step, with its code. */
export class KeyRotationError extends Error {
  override readonly name = 'KeyRotationError'
  readonly code: KeyRotationErrorCode
  constructor(code: KeyRotationErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** Options of {@link planKeyRotation} and {@link rotateKeyFile}. */
export interface KeyRotationOptions {
  readonly step: KeyRotationStep
  /** Epoch milliseconds. */
  readonly now: number
  /** Seconds a retired key is kept ({@link retiredKeyLifetime}). */
  readonly keepRetiredSeconds: number
  /** Algorithm of a staged key; by default the signer's. */
  readonly alg?: SigningAlgorithm | undefined
  /** Promote before {@link STAGE_WAIT_SECONDS} have passed (verifiers may refuse its tokens). */
  readonly force?: boolean | undefined
}

/** The key set after a step, and what the step did (kids). */
export interface KeyRotationResult {
  readonly keys: JsonWebKey[]
  readonly staged?: string
  readonly promoted?: string
  readonly reinstated?: string
  readonly removed?: string
  readonly retired: readonly string[]
  readonly dropped: readonly string[]
  /** Epoch seconds from which the staged key may be promoted. */
  readonly promotableAt?: number
}

type KeyState = 'signing' | 'staged' | 'retired'

function stateOf(jwk: JsonWebKey): KeyState {
  const ops = jwk['key_ops']
  if (!Array.isArray(ops) || ops.includes('sign')) return 'signing'
  return typeof jwk['staged_at'] === 'number' ? 'staged' : 'retired'
}

function signingOnly(jwk: JsonWebKey): JsonWebKey {
  const { key_ops: _ops, staged_at: _staged, retired_at: _retired, ...rest } = jwk
  return rest
}

function retire(jwk: JsonWebKey, nowSeconds: number): JsonWebKey {
  return { ...signingOnly(jwk), key_ops: ['verify'], retired_at: nowSeconds }
}

const kidOf = (jwk: JsonWebKey) => String(jwk['kid'])

/**
 * One step of a staged rotation, as a pure transformation of a private JWK Set (the order of
 * the result is: staged key, signer, the rest). Every step also drops the retired keys retired
 * more than `keepRetiredSeconds` ago (a retired key without `retired_at` is kept: nobody knows
 * when it stopped). Validate the result with `loadKeySet` before using it.
 *
 * @throws KeyRotationError `already_staged` (stage while a key waits), `nothing_staged`
 *   (promote or abort without one), `too_early` (promote before STAGE_WAIT_SECONDS, without
 *   force), `nothing_to_roll_back`, `no_signing_key` (no key signs, and no alg for a new one)
 */
export async function planKeyRotation(
  current: { keys: JsonWebKey[] },
  options: KeyRotationOptions,
): Promise<KeyRotationResult> {
  if (!Number.isFinite(options.now)) throw new TypeError('now must be epoch milliseconds')
  const nowSeconds = Math.floor(options.now / 1000)
  const dropped: string[] = []
  const kept = current.keys.filter((jwk) => {
    const retiredAt = jwk['retired_at']
    const expired =
      stateOf(jwk) === 'retired' &&
      typeof retiredAt === 'number' &&
      retiredAt + options.keepRetiredSeconds < nowSeconds
    if (expired) dropped.push(kidOf(jwk))
    return !expired
  })
  const staged = kept.find((jwk) => stateOf(jwk) === 'staged')
  const signer = kept.find((jwk) => stateOf(jwk) === 'signing')
  const others = (...skip: (JsonWebKey | undefined)[]) => kept.filter((jwk) => !skip.includes(jwk))

  switch (options.step) {
    case 'prune':
      return { keys: kept, retired: [], dropped }

    case 'stage': {
      if (staged !== undefined) {
        throw new KeyRotationError(
          'already_staged',
          `Key ${kidOf(staged)} is already staged: promote it (--promote) or remove it (--abort) first`,
        )
      }
      const signerAlg = signer?.['alg']
      const alg =
        options.alg ?? (typeof signerAlg === 'string' ? (signerAlg as SigningAlgorithm) : undefined)
      if (alg === undefined) {
        throw new KeyRotationError('no_signing_key', 'No key signs: name the algorithm (--alg)')
      }
      const kids = new Set(kept.map(kidOf))
      let fresh = await generateKeySet(alg)
      while (fresh.keys[0] === undefined || kids.has(kidOf(fresh.keys[0]))) {
        fresh = await generateKeySet(alg)
      }
      const added: JsonWebKey = { ...fresh.keys[0], key_ops: ['verify'], staged_at: nowSeconds }
      return {
        keys: [added, ...kept],
        staged: kidOf(added),
        retired: [],
        dropped,
        promotableAt: nowSeconds + STAGE_WAIT_SECONDS,
      }
    }

    case 'promote': {
      if (staged === undefined) {
        throw new KeyRotationError('nothing_staged', 'No key is staged: stage one first')
      }
      const promotableAt = Number(staged['staged_at']) + STAGE_WAIT_SECONDS
      if (nowSeconds < promotableAt && options.force !== true) {
        throw new KeyRotationError(
          'too_early',
          `Key ${kidOf(staged)} was staged ${nowSeconds - Number(staged['staged_at'])} s ago; verifiers may not know it before ${new Date(promotableAt * 1000).toISOString()} (--force to promote anyway)`,
        )
      }
      const retiredNow = signer === undefined ? [] : [retire(signer, nowSeconds)]
      return {
        keys: [signingOnly(staged), ...retiredNow, ...others(staged, signer)],
        promoted: kidOf(staged),
        retired: retiredNow.map(kidOf),
        dropped,
      }
    }

    case 'abort': {
      if (staged === undefined) {
        throw new KeyRotationError('nothing_staged', 'No key is staged: nothing to abort')
      }
      return { keys: others(staged), removed: kidOf(staged), retired: [], dropped }
    }

    case 'rollback': {
      const previous = kept
        .filter((jwk) => stateOf(jwk) === 'retired' && typeof jwk['retired_at'] === 'number')
        .sort((a, b) => Number(b['retired_at']) - Number(a['retired_at']))[0]
      if (previous === undefined) {
        throw new KeyRotationError(
          'nothing_to_roll_back',
          'No retired key with retired_at is left to sign again',
        )
      }
      const retiredNow = signer === undefined ? [] : [retire(signer, nowSeconds)]
      return {
        keys: [
          ...(staged === undefined ? [] : [staged]),
          signingOnly(previous),
          ...retiredNow,
          ...others(staged, previous, signer),
        ],
        reinstated: kidOf(previous),
        retired: retiredNow.map(kidOf),
        dropped,
      }
    }
  }
}

/**
 * Applies one rotation step to a key file: reads it, plans the step, checks that the result
 * loads (`loadKeySet`: the server would refuse anything else), and replaces the file atomically
 * with mode 0600. Servers pick the change up on `reloadSigningKeys()` (SIGHUP).
 *
 * @throws KeyRotationError as {@link planKeyRotation}; KeySetError when the file or the result
 *   is not a valid key set
 */
export async function rotateKeyFile(
  file: string,
  options: KeyRotationOptions,
): Promise<KeyRotationResult> {
  const text = await readFile(file, 'utf8')
  const current = await loadKeySet(text)
  const parsed = JSON.parse(text) as { keys: JsonWebKey[] }
  const result = await planKeyRotation(parsed, {
    ...options,
    alg: options.alg ?? current.signingKey.alg,
  })
  await loadKeySet({ keys: result.keys })
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(temporary, `${JSON.stringify({ keys: result.keys }, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    })
    await rename(temporary, file)
  } catch (error) {
    await unlink(temporary).catch(() => undefined)
    throw error
  }
  return result
}

/** What a reload of the signing keys found. */
export interface SigningKeysReload {
  /** False when the key set is the one already in use. */
  readonly changed: boolean
  /** kid of the key that signs now. */
  readonly signing: string
  /** Published, verify-only, waiting to be promoted. */
  readonly staged: readonly string[]
  /** Verify-only, no longer signing. */
  readonly retired: readonly string[]
}

/**
 * Reloads the signing keys from the configuration's source (the key file, in practice) and
 * swaps them into the token service at once: the next token is signed, and the JWKS answered,
 * with the new set; the verified-token cache is dropped. A set that does not load is refused and
 * the keys in use stay. Concurrent calls share one reload.
 */
export function createKeyReloader(options: {
  config: Config
  logger: Logger
  tokens: Pick<TokenService, 'keys' | 'setKeys'>
}): () => Promise<SigningKeysReload> {
  const { config, logger, tokens } = options
  let inFlight: Promise<SigningKeysReload> | undefined
  const reload = async (): Promise<SigningKeysReload> => {
    const before = tokens.keys
    let next: KeySet
    try {
      next = await loadSigningKeys(config, logger)
    } catch (error) {
      logger.error('signing keys not reloaded; the keys in use stay', {
        error: error instanceof Error ? error.message : String(error),
      })
      throw error
    }
    const changed = next.id !== before.id
    if (changed) {
      const lost = before.keys
        .filter((key) => next.get(key.kid) === undefined)
        .map((key) => key.kid)
      if (next.get(before.signingKey.kid) === undefined) {
        // An emergency rotation (a leaked key) does this on purpose; by mistake, it signs
        // everybody out: the client refreshes only on expired_token, not on invalid_signature.
        logger.warn('the key that signed until now is gone: every token it signed is refused', {
          kid: before.signingKey.kid,
        })
      }
      tokens.setKeys(next)
      logger.info('signing keys reloaded', {
        signing: next.signingKey.kid,
        dropped: lost,
      })
    }
    return {
      changed,
      signing: next.signingKey.kid,
      staged: next.keys.filter((key) => key.stagedAt !== undefined).map((key) => key.kid),
      retired: next.keys
        .filter((key) => key.retired && key.stagedAt === undefined)
        .map((key) => key.kid),
    }
  }
  return () =>
    (inFlight ??= reload().finally(() => {
      inFlight = undefined
    }))
}

/**
 * Reloads the signing keys on SIGHUP (`kill -HUP <pid>`), the usual "re-read your
 * configuration" signal, so that a rotation step reaches a running server without a restart.
 * A failed reload is logged (by the reloader) and leaves the keys in use. Returns a function
 * that stops listening.
 */
export function reloadSigningKeysOnSignal(options: {
  reload: () => Promise<SigningKeysReload>
  logger: Logger
}): () => void {
  const onSignal = () => {
    options.logger.info('SIGHUP: reloading the signing keys')
    options.reload().catch(() => undefined)
  }
  process.on('SIGHUP', onSignal)
  return () => process.off('SIGHUP', onSignal)
}

/**
 * Reloads the signing keys when the key file changes: its metadata is polled every
 * `intervalMs` (default 2000), which also sees a file replaced by rename (what `keys rotate`
 * does) or through a symlink swap (a mounted Kubernetes secret), where filesystem events may
 * not. The poll keeps no process alive. Returns a function that stops watching.
 */
export function watchSigningKeyFile(options: {
  file: string
  reload: () => Promise<SigningKeysReload>
  intervalMs?: number | undefined
}): () => void {
  const onChange = (current: Stats, previous: Stats) => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.ino === previous.ino &&
      current.size === previous.size
    ) {
      return
    }
    options.reload().catch(() => undefined)
  }
  watchFile(options.file, { interval: options.intervalMs ?? 2000, persistent: false }, onChange)
  return () => unwatchFile(options.file, onChange)
}
