import type { Dialect, KyselyConfig } from 'kysely'

/**
 * Kysely's configuration for `dialect`, with `CreateDatabaseOptions.onQuery` as its `log`: the
 * text of every statement sent, once the database has answered it (with rows or an error). Only
 * the text: the parameters (a token hash, an e-mail) never reach the callback.
 */
export function kyselyConfig(
  dialect: Dialect,
  onQuery: ((sql: string) => void) | undefined,
): KyselyConfig {
  return onQuery === undefined ? { dialect } : { dialect, log: (event) => onQuery(event.query.sql) }
}
