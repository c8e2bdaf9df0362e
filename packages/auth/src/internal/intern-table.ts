/**
 * Shared immutable values by string key, at most `capacity` of them. The tokens of one issuer
 * carry the same few role lists and scope strings over and over, so the claims and principals
 * built from them can share one frozen value per distinct list instead of holding a copy each
 * for as long as the verified-token cache keeps them (on Bun a frozen one-element array costs
 * about 220 B and a set of three scopes about 370 B, per cached token).
 *
 * `make` must build the same value for the same key, and that value must be immutable. Past
 * `capacity` distinct keys a value is built and not kept: the table never grows beyond its
 * bound and never drops what it already shares.
 */
export function createInternTable<T>(capacity: number): (key: string, make: () => T) => T {
  const values = new Map<string, T>()
  return (key, make) => {
    let value = values.get(key)
    if (value === undefined) {
      value = make()
      if (values.size < capacity) values.set(key, value)
    }
    return value
  }
}
