/**
 * Wraps a serializer so that a value which is deeply frozen plain data is serialized once, as
 * long as that value lives (kept by identity in a WeakMap), and every other value on every call.
 * A procedure that hands out the same immutable answer again (`system.whoami`, built once per
 * verified token) then pays a lookup instead of a `JSON.stringify` per request.
 *
 * `serialize` must give the same text for the same deeply frozen value (JSON.stringify does, as
 * do tRPC's default transformer and superjson).
 */
export function serializeOncePerFrozenValue(
  serialize: (value: unknown) => string,
): (value: unknown) => string {
  // null: frozen at the top, but not all the way down; serialized on every call.
  const texts = new WeakMap<object, string | null>()
  return (value) => {
    if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) {
      return serialize(value)
    }
    let text = texts.get(value)
    if (text === undefined) {
      text = serialize(value)
      texts.set(value, isFrozenPlainData(value) ? text : null)
    }
    return text ?? serialize(value)
  }
}

const MAX_DEPTH = 32

/**
 * Whether JSON serialization gives the same text for `value` every time: a primitive, or a
 * frozen array or plain object whose own properties are all data properties (no getter could
 * answer differently) holding such values, with no `toJSON` anywhere.
 */
export function isFrozenPlainData(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) {
    return typeof value !== 'function' && typeof value !== 'bigint' && typeof value !== 'symbol'
  }
  if (depth > MAX_DEPTH || !Object.isFrozen(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false
  if ('toJSON' in value) return false
  return Object.values(Object.getOwnPropertyDescriptors(value)).every(
    (descriptor) => 'value' in descriptor && isFrozenPlainData(descriptor.value, depth + 1),
  )
}
