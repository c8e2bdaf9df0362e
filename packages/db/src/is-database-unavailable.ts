const UNAVAILABLE_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

// SQLSTATEs (PostgreSQL appendix A) that say "the database cannot serve you right now", as
// opposed to "your query is wrong": class 08 is matched by prefix below.
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '57014', // query_canceled: statement_timeout fired
])

// node-postgres and pg-pool raise these without a code; their text is all there is to match.
const UNAVAILABLE_MESSAGES = new Set([
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Query read timeout',
  'timeout expired',
  'Cannot use a pool after calling end on the pool',
  'Client was closed and is not queryable',
])

function ownString(value: object, key: string): string | undefined {
  const field: unknown = Reflect.get(value, key)
  return typeof field === 'string' ? field : undefined
}

function check(err: unknown, depth: number): boolean {
  if (depth > 8 || typeof err !== 'object' || err === null) return false
  const code = ownString(err, 'code')
  if (code !== undefined) {
    if (UNAVAILABLE_SYSTEM_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true
    if (/^08[0-9A-Z]{3}$/.test(code)) return true
  }
  const message = ownString(err, 'message')
  if (message !== undefined && UNAVAILABLE_MESSAGES.has(message)) return true
  // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
  const errors: unknown = Reflect.get(err, 'errors')
  if (Array.isArray(errors) && errors.some((inner: unknown) => check(inner, depth + 1))) return true
  return check(Reflect.get(err, 'cause'), depth + 1)
}

/**
 * True when `err` means the database is unreachable, overloaded, shutting down or too slow, so
 * the caller should answer 503 rather than 500: connection refused/reset, pool connect timeout,
 * SQLSTATE class 08 (connection exception), 57P01/57P02/57P03 (shutdown), 53300 (too many
 * connections), 57014 (statement timeout) and node-postgres' "Query read timeout". Follows
 * `cause` chains and `AggregateError`s.
 *
 * @example
 * ```ts
 * catch (err) { if (isDatabaseUnavailable(err)) return c.text('unavailable', 503); throw err }
 * ```
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return check(err, 0)
}
