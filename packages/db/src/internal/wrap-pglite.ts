import { types, type PGlite, type PGliteOptions } from '@electric-sql/pglite'
import { Kysely } from 'kysely'

import type { WardenDatabase } from '../create-database.ts'
import { PGliteDialect } from '../pglite-dialect.ts'
import type { Database } from '../schema.ts'
import { assertChannelName } from './channel-name.ts'
import { notifyWith, pingWith } from './database-commands.ts'
import { kyselyConfig } from './query-log.ts'

/**
 * node-postgres reads int8 as a string (it may exceed 2^53); PGlite is told to do the same so
 * both backends return identical rows.
 */
export const PGLITE_OPTIONS = {
  parsers: { [types.INT8]: (value: string) => value },
} satisfies PGliteOptions

/**
 * A {@link WardenDatabase} over an open PGlite instance, which it owns from now on; `release`
 * runs once it is closed (the data folder's lock).
 */
export function wrapPGlite(
  pglite: PGlite,
  options: {
    onError: (err: unknown) => void
    onQuery?: ((sql: string) => void) | undefined
    release?: (() => Promise<void>) | undefined
  },
): WardenDatabase {
  const { onError, release = () => Promise.resolve() } = options
  const dialect = new PGliteDialect({ pglite })
  const kysely = new Kysely<Database>(kyselyConfig(dialect, { onQuery: options.onQuery, onError }))
  let closing: Promise<void> | undefined
  return {
    kysely,
    kind: 'pglite',
    async listen(channel, handlers) {
      assertChannelName(channel)
      const unlisten = await dialect.runExclusive((db) =>
        db.listen(channel, (payload) => {
          try {
            handlers.onMessage(payload)
          } catch (err) {
            onError(err)
          }
        }),
      )
      let active = true
      return async () => {
        if (!active || pglite.closed) return
        active = false
        await dialect.runExclusive(() => unlisten())
      }
    },
    notify: (channel, payload) => notifyWith(kysely, channel, payload),
    ping: () => pingWith(kysely),
    close() {
      // kysely only destroys a driver it has initialised: close PGlite ourselves as well, or an
      // instance that never ran a query would keep the process alive.
      closing ??= kysely
        .destroy()
        .then(async () => {
          if (!pglite.closed) await pglite.close()
        })
        .finally(release)
      return closing
    },
  }
}
