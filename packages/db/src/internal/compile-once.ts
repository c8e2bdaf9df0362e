import { CompiledQuery, type Compilable, type Kysely } from 'kysely'

/**
 * A query whose text never changes, compiled once: `build` is called a single time with a unique
 * marker for each named parameter, the markers are found in the compiled parameter list, and
 * every later call only fills that list with the call's values. Kysely's building and compiling
 * of a statement as large as the refresh rotation costs tens of microseconds per call.
 *
 * Markers are compared by identity (a fresh `Date` for a date parameter, a unique string for a
 * string one), so `build` must pass each parameter into the query as a value, unchanged, and
 * must not branch on it: the text is built once, from the markers, for every call. Every marker
 * must appear in the compiled parameters, and every other parameter must be a constant
 * primitive; anything else is refused when the query is first compiled.
 */
export function compileOnce<P extends { [K in keyof P]: string | Date | null }, R>(
  markers: { readonly [K in keyof P]: P[K] extends Date ? 'date' : 'text' },
  build: (params: P) => Compilable<R>,
): (params: P) => CompiledQuery<R> {
  let compiled: { sql: string; slots: Slot<P>[] } | undefined
  return (params) => {
    compiled ??= compile(markers, build)
    return CompiledQuery.raw(
      compiled.sql,
      compiled.slots.map((slot) => (slot.kind === 'param' ? params[slot.key] : slot.value)),
    )
  }
}

/**
 * {@link compileOnce} for a statement built from a database handle: compiled once per handle
 * (the handle's dialect compiles it), on the first call with that handle.
 */
export function compileOncePerHandle<DB, P extends { [K in keyof P]: string | Date | null }, R>(
  markers: { readonly [K in keyof P]: P[K] extends Date ? 'date' : 'text' },
  build: (db: Kysely<DB>, params: P) => Compilable<R>,
): (db: Kysely<DB>, params: P) => CompiledQuery<R> {
  const statements = new WeakMap<Kysely<DB>, (params: P) => CompiledQuery<R>>()
  return (db, params) => {
    let statement = statements.get(db)
    if (statement === undefined) {
      statement = compileOnce(markers, (values: P) => build(db, values))
      statements.set(db, statement)
    }
    return statement(params)
  }
}

const MARKER = '\u0000param:'

type Slot<P> = { kind: 'param'; key: keyof P } | { kind: 'constant'; value: unknown }

function compile<P extends { [K in keyof P]: string | Date | null }, R>(
  markers: { readonly [K in keyof P]: 'date' | 'text' },
  build: (params: P) => Compilable<R>,
): { sql: string; slots: Slot<P>[] } {
  const keys = Object.keys(markers) as (keyof P & string)[]
  const values = Object.fromEntries(
    keys.map((key, i) => [
      key,
      markers[key] === 'date' ? new Date(Date.UTC(1970, 0, 1, 0, 0, 0, i)) : `${MARKER}${key}`,
    ]),
  ) as P
  const query = build(values).compile()
  if (query.sql.includes(MARKER)) {
    throw new TypeError('compileOnce: a parameter was written into the query text, not passed')
  }
  const seen = new Set<keyof P>()
  const slots = query.parameters.map((parameter): Slot<P> => {
    const key = keys.find((k) => values[k] === parameter)
    if (key !== undefined) {
      seen.add(key)
      return { kind: 'param', key }
    }
    if (parameter !== null && typeof parameter === 'object') {
      throw new TypeError('compileOnce: a parameter is neither a marker nor a constant primitive')
    }
    if (typeof parameter === 'string' && parameter.startsWith(MARKER)) {
      throw new TypeError('compileOnce: a marker was changed before it reached the query')
    }
    return { kind: 'constant', value: parameter }
  })
  const missing = keys.filter((key) => !seen.has(key))
  if (missing.length > 0) {
    throw new TypeError(`compileOnce: parameters not in the query: ${missing.join(', ')}`)
  }
  return { sql: query.sql, slots }
}
