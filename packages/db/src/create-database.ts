import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'

import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'

import { assertChannelName } from './internal/channel-name.ts'
import { lockDataDir } from './internal/data-dir-lock.ts'
import { notifyWith, pingWith } from './internal/database-commands.ts'
import { PgListener, type ListenHandlers } from './internal/pg-listener.ts'
import { preparingPool } from './internal/prepared-statements.ts'
import { kyselyConfig } from './internal/query-log.ts'
import { PGLITE_OPTIONS, wrapPGlite } from './internal/wrap-pglite.ts'
import type { Database } from './schema.ts'

export type { ListenHandlers }

/** Options of {@link createDatabase}. */
export interface CreateDatabaseOptions {
  /** `postgres://…` or `postgresql://…`: PostgreSQL; `memory:`: in-memory PGlite; unset: PGlite in `dataDir`. */
  url?: string | undefined
  /** The PGlite data folder, required when `url` is unset; created if missing. */
  dataDir?: string | undefined
  /** Most pooled PostgreSQL connections. Default 10. */
  poolMax?: number | undefined
  /** Server-side `statement_timeout` of every pooled connection, in ms. Default 5000. */
  statementTimeoutMs?: number | undefined
  /** How long to wait for a connection (new, or free in the pool), in ms. Default 5000. */
  connectionTimeoutMs?: number | undefined
  /** Back-off of the LISTEN connection's reconnects, in ms. Default 200 doubling up to 15000. */
  listenReconnectDelayMs?: { initial?: number | undefined; max?: number | undefined } | undefined
  /**
   * Errors that happen outside any query (an idle connection dropped, a reconnect failed), and
   * what a listen handler or `onQuery` throws.
   */
  onError?: ((err: unknown) => void) | undefined
  /**
   * Called with the text of every statement sent, once the database has answered it: for
   * tracing and tests. Never given the statement's parameters. What it throws goes to `onError`;
   * the statement's answer is unaffected.
   */
  onQuery?: ((sql: string) => void) | undefined
}

/** A connected database: kysely over PostgreSQL or PGlite, plus LISTEN/NOTIFY. */
export interface WardenDatabase {
  readonly kysely: Kysely<Database>
  readonly kind: 'postgres' | 'pglite'
  /**
   * Subscribes to a channel (a lower-case identifier). Resolves once LISTEN is in place and
   * returns the unsubscribe function. On PostgreSQL, `onReconnect` runs after the listening
   * connection was lost and restored: callers resync whatever they may have missed.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>
  /** Sends `payload` on `channel` (`pg_notify`); delivered when the sending transaction commits. */
  notify(channel: string, payload: string): Promise<void>
  /** Resolves when the database answers `SELECT 1`. */
  ping(): Promise<void>
  /** Stops listening and reconnecting, then closes every connection. Idempotent. */
  close(): Promise<void>
}

const DEFAULT_POOL_MAX = 10
const DEFAULT_STATEMENT_TIMEOUT_MS = 5000
const DEFAULT_CONNECTION_TIMEOUT_MS = 5000
// The client-side read timeout sits just past the server's statement_timeout: the server
// normally cancels first (57014); this one catches a server or network that went silent.
const QUERY_TIMEOUT_MARGIN_MS = 1000

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback
  if (!Number.isSafeInteger(result) || result <= 0) {
    throw new TypeError(`${name} must be a positive integer`)
  }
  return result
}

function schemeOf(url: string): string {
  if (url === 'memory:' || url === 'memory://') return 'memory:'
  try {
    return new URL(url).protocol
  } catch {
    // Never echo the URL: it may carry a password.
    throw new TypeError('The database URL is not a valid URL')
  }
}

/**
 * Opens Warden's database: PostgreSQL through a `pg` pool for `postgres://` URLs, otherwise
 * embedded PGlite (in memory for `memory:`, persisted in `dataDir` when `url` is unset).
 *
 * On PostgreSQL every pooled connection has `statement_timeout` and a client read timeout, so a
 * slow database fails within a bound (see {@link isDatabaseUnavailable}); errors of idle
 * connections go to `onError` and never crash the process.
 *
 * @throws TypeError for an unsupported URL scheme, a missing `dataDir` or a bad number;
 * DatabaseInUseError when another live process (or this one) has the PGlite folder open.
 * @example
 * ```ts
 * const db = await createDatabase({ url: process.env.DATABASE_URL, dataDir: './.data' })
 * await migrateToLatest(db.kysely)
 * ```
 */
export async function createDatabase(options: CreateDatabaseOptions): Promise<WardenDatabase> {
  const { onQuery } = options
  const onError = options.onError ?? (() => undefined)
  const statementTimeoutMs = positiveInteger(
    'statementTimeoutMs',
    options.statementTimeoutMs,
    DEFAULT_STATEMENT_TIMEOUT_MS,
  )
  const connectionTimeoutMs = positiveInteger(
    'connectionTimeoutMs',
    options.connectionTimeoutMs,
    DEFAULT_CONNECTION_TIMEOUT_MS,
  )
  const poolMax = positiveInteger('poolMax', options.poolMax, DEFAULT_POOL_MAX)
  const initialDelayMs = positiveInteger(
    'listenReconnectDelayMs.initial',
    options.listenReconnectDelayMs?.initial,
    200,
  )
  const maxDelayMs = positiveInteger(
    'listenReconnectDelayMs.max',
    options.listenReconnectDelayMs?.max,
    15_000,
  )

  if (options.url === undefined) {
    if (options.dataDir === undefined || options.dataDir === '') {
      throw new TypeError('dataDir is required when no database URL is given')
    }
    const dataDir = resolve(options.dataDir)
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    const unlock = await lockDataDir(dataDir)
    try {
      const pglite = await PGlite.create(dataDir, PGLITE_OPTIONS)
      return wrapPGlite(pglite, { onError, onQuery, release: unlock })
    } catch (err) {
      await unlock()
      throw err
    }
  }
  const scheme = schemeOf(options.url)
  if (scheme === 'memory:') {
    return wrapPGlite(await PGlite.create(PGLITE_OPTIONS), { onError, onQuery })
  }
  if (scheme !== 'postgres:' && scheme !== 'postgresql:') {
    throw new TypeError(`Unsupported database URL scheme "${scheme}"`)
  }

  const connection = {
    connectionString: options.url,
    connectionTimeoutMillis: connectionTimeoutMs,
    query_timeout: statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
    keepAlive: true,
  } satisfies pg.ClientConfig
  const pool = new pg.Pool({
    ...connection,
    max: poolMax,
    statement_timeout: statementTimeoutMs,
    // A transaction left open by a bug would hold row locks (and so block rotations) forever.
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    application_name: 'warden',
  })
  // pg-pool only listens for errors of idle clients; a checked-out client that loses its
  // connection between two statements would emit an unhandled 'error' and kill the process.
  pool.on('connect', (client) => {
    client.on('error', onError)
  })
  pool.on('error', () => undefined) // Already reported by the client listener above.

  const kysely = new Kysely<Database>(
    kyselyConfig(new PostgresDialect({ pool: preparingPool(pool) }), { onQuery, onError }),
  )
  const listener = new PgListener({
    clientConfig: { ...connection, application_name: 'warden_listener' },
    onError,
    initialDelayMs,
    maxDelayMs,
  })
  let closing: Promise<void> | undefined
  return {
    kysely,
    kind: 'postgres',
    async listen(channel, handlers) {
      assertChannelName(channel)
      return listener.listen(channel, handlers)
    },
    notify: (channel, payload) => notifyWith(kysely, channel, payload),
    ping: () => pingWith(kysely),
    close() {
      closing ??= listener.close().then(() => kysely.destroy())
      return closing
    },
  }
}
