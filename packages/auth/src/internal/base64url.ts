// Value of each base64url character (RFC 4648 §5), -1 for everything else, indexed by char code.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i

/**
 * True when `text[start, end)` is canonical unpadded base64url: only the 64 alphabet characters,
 * a length that can encode whole bytes (mod 4 ≠ 1), and zero unused bits in the last character.
 * Buffer's decoder ignores those bits, so without this check several strings decode to the same
 * bytes (RFC 4648 §3.5), and a JWS signature would not be a unique string.
 */
export function isCanonicalBase64url(text: string, start = 0, end = text.length): boolean {
  const length = end - start
  const rest = length & 3
  if (rest === 1) return false
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code > 127 || (VALUES[code] ?? -1) < 0) return false
  }
  if (rest === 0) return true
  const last = VALUES[text.charCodeAt(end - 1)] ?? -1
  // Two characters carry one byte (4 spare bits); three carry two bytes (2 spare bits).
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0
}

/**
 * Decodes canonical base64url, or returns undefined for anything else. Buffer's decoder skips
 * foreign characters, padding and spare bits, and its encoder writes the one canonical form, so
 * a string is canonical exactly when it survives the round trip. Both steps are native, which
 * makes this several times faster than {@link isCanonicalBase64url} on long segments.
 */
export function decodeBase64url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}
