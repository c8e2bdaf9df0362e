// We write this dialect rather than depend on `kysely-pglite`: that package ships its CLI's
// dependencies (oclif, kysely-codegen, chokidar, …) as runtime dependencies, which a security
// reference project should not pull into its server for ~100 lines of glue.
import type { PGlite } from '@electric-sql/pglite'
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'

import { FifoMutex } from './internal/fifo-mutex.ts'

const COUNTED_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])

class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite

  constructor(pglite: PGlite) {
    this.#pglite = pglite
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters], {
      rowMode: 'object',
    })
    if (result.command !== undefined && COUNTED_COMMANDS.has(result.command)) {
      return { rows: result.rows, numAffectedRows: BigInt(result.affectedRows ?? 0) }
    }
    return { rows: result.rows }
  }

  // PGlite has no cursors over its in-process connection: the result is read whole and handed
  // out in chunks, which keeps kysely's `stream()` working with the memory of a plain query.
  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = 100,
  ): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) {
      throw new TypeError('chunkSize must be a positive integer')
    }
    const { rows } = await this.executeQuery<R>(compiledQuery)
    for (let start = 0; start < rows.length; start += chunkSize) {
      yield { rows: rows.slice(start, start + chunkSize) }
    }
  }
}

class PGliteDriver implements Driver {
  readonly #pglite: PGlite
  readonly #mutex: FifoMutex
  readonly #connection: PGliteConnection

  constructor(pglite: PGlite, mutex: FifoMutex) {
    this.#pglite = pglite
    this.#mutex = mutex
    this.#connection = new PGliteConnection(pglite)
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady
  }

  // PGlite is one Postgres backend: whoever holds the connection owns it until release, so a
  // kysely transaction's statements can never interleave with anyone else's.
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock()
    return this.#connection
  }

  releaseConnection(): Promise<void> {
    this.#mutex.unlock()
    return Promise.resolve()
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : ''
    const access = settings.accessMode ? ` ${settings.accessMode}` : ''
    await connection.executeQuery(CompiledQuery.raw(`start transaction${isolation}${access}`))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`),
    )
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`))
  }

  async destroy(): Promise<void> {
    // Wait for the connection's current holder so a transaction in flight is not cut short.
    await this.#mutex.run(async () => {
      if (!this.#pglite.closed) await this.#pglite.close()
    })
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * A kysely dialect for PGlite (Postgres compiled to WASM, in process). Its single connection is
 * guarded by a FIFO mutex: `acquireConnection` waits for it and `releaseConnection` frees it, so
 * a kysely transaction is exclusive. Do not query the root `Kysely` instance from inside one of
 * its own transactions: on this dialect that waits for the transaction forever.
 */
export class PGliteDialect implements Dialect {
  readonly #pglite: PGlite
  readonly #mutex = new FifoMutex()

  constructor(options: { pglite: PGlite }) {
    this.#pglite = options.pglite
  }

  /**
   * Runs `fn` with the connection held, for work that bypasses kysely (LISTEN/UNLISTEN) and must
   * not land inside somebody's open transaction.
   */
  runExclusive<T>(fn: (pglite: PGlite) => Promise<T>): Promise<T> {
    return this.#mutex.run(() => fn(this.#pglite))
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#pglite, this.#mutex)
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter()
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kysely's Dialect interface types it so
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }
}
