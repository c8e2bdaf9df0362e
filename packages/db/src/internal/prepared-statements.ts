import { createHash } from 'node:crypto'

import type {
  CompiledQuery,
  PostgresCursor,
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryResult,
} from 'kysely'
import type pg from 'pg'

const MARKER = '/* warden:prepared */ '
const names = new Map<string, string>()

/**
 * Marks a compiled query to run as a named prepared statement on PostgreSQL: parsed, analysed
 * and planned once per connection instead of on every call, which halves the cost of a
 * statement as large as the rotation's. Elsewhere (PGlite) the marker is only a comment.
 */
export function asPrepared<R>(query: CompiledQuery<R>): CompiledQuery<R> {
  return { ...query, sql: `${MARKER}${query.sql}` }
}

function statementName(sql: string): string {
  let name = names.get(sql)
  if (name === undefined) {
    // Named after its text, so two different statements can never share a name.
    name = `warden_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`
    names.set(sql, name)
  }
  return name
}

class PreparingClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient

  constructor(client: pg.PoolClient) {
    this.#client = client
  }

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters: readonly unknown[] = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') {
      // kysely passes a cursor only when the dialect is configured with one; ours is not.
      throw new TypeError('Cursors are not configured')
    }
    const config: pg.QueryConfig<unknown[]> = sqlOrCursor.startsWith(MARKER)
      ? { name: statementName(sqlOrCursor), text: sqlOrCursor, values: [...parameters] }
      : { text: sqlOrCursor, values: [...parameters] }
    return this.#client.query<pg.QueryResultRow>(config).then((result) => ({
      // node-postgres reports any command tag (BEGIN, CREATE, …); kysely's type names only those
      // it counts rows for, and reads `command` for nothing else.
      command: result.command as PostgresQueryResult<R>['command'],
      rowCount: result.rowCount ?? 0,
      rows: result.rows as R[],
    }))
  }

  release(): void {
    this.#client.release()
  }
}

/** A pg pool as kysely's PostgresDialect sees it, running marked queries as prepared statements. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PreparingClient>()
  return {
    async connect() {
      const client = await pool.connect()
      let wrapper = clients.get(client)
      if (!wrapper) {
        wrapper = new PreparingClient(client)
        clients.set(client, wrapper)
      }
      return wrapper
    },
    end: () => pool.end(),
  }
}
