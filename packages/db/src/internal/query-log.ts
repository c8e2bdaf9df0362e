import type { Dialect, KyselyConfig } from 'kysely'

/**
 * Kysely's configuration for `dialect`, with `CreateDatabaseOptions.onQuery` as its `log`: the
 * text of every statement sent, once the database has answered it (with rows or an error). Only
 * the text: the parameters (a token hash, an e-mail) never reach the callback. What the callback
 * throws goes to `onError`, as a listen handler's does: kysely would otherwise hand it to the
 * caller in place of the statement's answer, after the statement ran.
 */
export function kyselyConfig(
  dialect: Dialect,
  callbacks: { onQuery: ((sql: string) => void) | undefined; onError: (err: unknown) => void },
): KyselyConfig {
  const { onQuery, onError } = callbacks
  if (onQuery === undefined) return { dialect }
  return {
    dialect,
    log: (event) => {
      try {
        onQuery(event.query.sql)
      } catch (err) {
        onError(err)
      }
    },
  }
}
