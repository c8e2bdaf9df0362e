const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * True for the textual form of a uuid. Ids from requests are checked with it before any query,
 * so a malformed one is "not found" rather than a 22P02 error (a 500).
 */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}
