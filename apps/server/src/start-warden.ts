import { randomBytes } from 'node:crypto'

import {
  createLoginCheck,
  createRevocationList,
  FIRST_PARTY_CLIENT_ID,
  type ApiServices,
} from '@warden/api'
import {
  createPasswordHasher,
  createTokenService,
  systemClock,
  type Clock,
  type PasswordHasher,
} from '@warden/auth'
import {
  createDatabase,
  getOrCreateServerSecret,
  migrateToLatest,
  pendingMigrations,
  pruneExpired,
  type WardenDatabase,
} from '@warden/db'

import { createApp, type AppOptions } from './app.ts'
import { ConfigError, embeddedDatabaseDir, type Config } from './config.ts'
import { createLogger, type Logger } from './logger.ts'
import { createKeyReloader, loadSigningKeys, type SigningKeysReload } from './signing-keys.ts'

const PRUNE_INTERVAL_MS = 10 * 60 * 1000

/** A running Warden: the app to serve, its services, and how to stop it cleanly. */
export interface Warden {
  readonly app: ReturnType<typeof createApp>
  readonly services: ApiServices
  readonly config: Config
  /**
   * Reads the signing keys again (the key file, after a `pnpm warden keys rotate` step) and
   * swaps them in without a restart: tokens are signed, and the JWKS answered, with the new set
   * at once. Refuses a set that does not load, keeping the keys in use. The entries call it on
   * SIGHUP.
   *
   * @throws ConfigError when the new set is refused
   */
  reloadSigningKeys(): Promise<SigningKeysReload>
  /** Stops timers and listeners and closes the database. Idempotent. */
  close(): Promise<void>
}

/**
 * Builds everything from a parsed configuration: database (migrated automatically outside
 * production; in production a pending migration stops the start), signing keys, token service,
 * password hasher, revocation list, pruning timer, and the app.
 *
 * @throws ConfigError when keys are missing, weak or development keys in production
 */
export async function startWarden(
  config: Config,
  options: {
    logger?: Logger
    clock?: Clock
    passwords?: PasswordHasher
    socketAddress?: AppOptions['socketAddress']
    lane?: AppOptions['lane']
    /** An already open database (tests); the caller keeps ownership and closes it. */
    db?: WardenDatabase
  } = {},
): Promise<Warden> {
  const logger = options.logger ?? createLogger({ level: config.logLevel })
  const clock = options.clock ?? systemClock
  const keys = await loadSigningKeys(config, logger)

  const ownsDatabase = options.db === undefined
  if (ownsDatabase && (config.databaseUrl === undefined || config.databaseUrl === 'memory:')) {
    if (config.production) {
      logger.warn(
        'PRODUCTION ON EMBEDDED PGLITE: a single process, no replication; set DATABASE_URL=postgres://…',
      )
    }
  }
  const db =
    options.db ??
    (await createDatabase({
      url: config.databaseUrl,
      dataDir: embeddedDatabaseDir(config),
      onError: (error) => logger.error('database error', { error: String(error) }),
    }))
  try {
    if (config.production) {
      const pending = await pendingMigrations(db.kysely)
      if (pending.length > 0) {
        throw new ConfigError([
          `DATABASE_URL: ${pending.length} pending migration(s); run \`pnpm warden migrate\``,
        ])
      }
    } else {
      const { applied } = await migrateToLatest(db.kysely)
      if (applied.length > 0) logger.info('migrations applied', { applied })
    }

    const tokens = createTokenService({
      keys,
      issuer: config.issuer,
      audience: config.audience,
      clock,
      clockSkew: config.clockSkew,
      accessTokenTtl: config.accessTokenTtl,
      maxAccessTokenTtl: Math.max(3600, config.accessTokenTtl),
    })
    const refreshSecret = await getOrCreateServerSecret(db.kysely, {
      name: 'refresh_successor_key',
      create: () => randomBytes(32),
      now: new Date(clock.now()),
    })
    const revocations = createRevocationList({
      db,
      clock,
      maxTokenLifetimeMs: Math.max(3600, config.accessTokenTtl) * 1000 + config.clockSkew * 1000,
      logger,
    })
    await revocations.start()

    const services: ApiServices = {
      config: {
        issuer: config.issuer,
        audience: config.audience,
        firstPartyClientId: FIRST_PARTY_CLIENT_ID,
        accessTokenTtl: config.accessTokenTtl,
        refreshTokenTtl: config.refreshTokenTtl,
        refreshFamilyMaxAge: config.refreshFamilyMaxAge,
        refreshReuseInterval: config.refreshReuseInterval,
      },
      db,
      tokens,
      passwords: options.passwords ?? createPasswordHasher(),
      revocations,
      login: createLoginCheck(),
      refreshSecret,
      clock,
      logger,
    }

    const pruneTimer = setInterval(() => {
      pruneExpired(db.kysely, { now: new Date(clock.now()) })
        .then((pruned) => logger.info('pruned expired rows', { ...pruned }))
        .catch((error: unknown) => logger.warn('pruning failed', { error: String(error) }))
    }, PRUNE_INTERVAL_MS)
    pruneTimer.unref()

    const app = createApp({
      config,
      services,
      ...(options.socketAddress ? { socketAddress: options.socketAddress } : {}),
      ...(options.lane ? { lane: options.lane } : {}),
    })
    let closing: Promise<void> | undefined
    return {
      app,
      services,
      config,
      reloadSigningKeys: createKeyReloader({ config, logger, tokens }),
      close: () =>
        (closing ??= (async () => {
          clearInterval(pruneTimer)
          await revocations.stop()
          if (ownsDatabase) await db.close()
        })()),
    }
  } catch (error) {
    if (ownsDatabase) await db.close()
    throw error
  }
}
