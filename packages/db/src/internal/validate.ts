import { isUuid } from './uuid.ts'

/** Throws a TypeError unless `value` is a valid Date: a programmer error, caught at once. */
export function assertDate(name: string, value: Date): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`${name} must be a valid Date`)
  }
}

/** Throws a TypeError unless `value` is a non-negative safe integer. */
export function assertDuration(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer (ms)`)
  }
}

/** Throws a TypeError unless `value` is a uuid: for ids that come from our own code. */
export function assertUuid(name: string, value: string): void {
  if (!isUuid(value)) throw new TypeError(`${name} must be a uuid`)
}

// RFC 6749 §3.3 scope-token characters: printable ASCII without space, `"` and `\`.
const NAME_LIST_ITEM = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/

/**
 * Checks a list of roles, scopes or audiences (RFC 6749 scope-token characters, at most 200
 * each, at most `max` of them) and returns it without duplicates.
 */
export function normaliseNameList(name: string, values: readonly string[], max: number): string[] {
  const unique = [...new Set(values)]
  if (unique.length > max || !unique.every((value) => NAME_LIST_ITEM.test(value))) {
    throw new TypeError(`${name} must be at most ${max} names of RFC 6749 scope-token characters`)
  }
  return unique
}

/**
 * Fits client-controlled text (a User-Agent) into its column: without NUL, which PostgreSQL
 * text cannot hold, and cut to `max` characters.
 */
export function clientText(value: string | undefined, max: number): string | null {
  if (value === undefined) return null
  const clean = value.replaceAll('\u0000', '')
  return clean.length > max ? clean.slice(0, max) : clean
}

const TOKEN_HASH = /^[0-9a-f]{64}$/

/** True for a lower-case hex SHA-256, the only form of a refresh token the database holds. */
export function isTokenHash(value: string): boolean {
  return TOKEN_HASH.test(value)
}

/** Throws a TypeError unless `value` is a lower-case hex SHA-256 (never a raw token). */
export function assertTokenHash(name: string, value: string): void {
  if (!isTokenHash(value)) throw new TypeError(`${name} must be a hex SHA-256, never a token`)
}
