import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import {
  generateKeySet,
  isDevelopmentKey,
  KeySetError,
  loadKeySet,
  loadKeySetFile,
  type KeySet,
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
