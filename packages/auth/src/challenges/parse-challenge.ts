/** One challenge of a `WWW-Authenticate` value. */
export interface ParsedChallenge {
  /** Lower-cased. */
  scheme: string
  /** Lower-cased names; the first occurrence of a name wins. */
  params: Record<string, string>
}

// RFC 9110 §5.6.2 tchar.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/
// RFC 9110 §11.2 token68, without its trailing "=".
const TOKEN68_CHAR = /[-._~+/0-9A-Za-z]/

function isTchar(char: string | undefined): boolean {
  return char !== undefined && TCHAR.test(char)
}

/**
 * Parses a `WWW-Authenticate` value into its challenges (RFC 9110 §11.6.1). Tolerant: it never
 * throws, skips what it cannot read, and ignores token68 credentials.
 *
 * @example
 * parseChallenge('Bearer realm="warden", error="invalid_token"')
 * // [{ scheme: 'bearer', params: { realm: 'warden', error: 'invalid_token' } }]
 */
export function parseChallenge(header: string): ParsedChallenge[] {
  const challenges: ParsedChallenge[] = []
  const text = typeof header === 'string' ? header : ''
  let i = 0

  const skip = (pattern: RegExp) => {
    while (i < text.length && pattern.test(text.charAt(i))) i++
  }
  const readToken = () => {
    const start = i
    while (isTchar(text[i])) i++
    return text.slice(start, i)
  }
  const readQuoted = () => {
    i++ // opening quote
    let value = ''
    while (i < text.length) {
      const char = text.charAt(i)
      if (char === '"') {
        i++
        break
      }
      if (char === '\\' && i + 1 < text.length) {
        value += text.charAt(i + 1)
        i += 2
      } else {
        value += char
        i++
      }
    }
    return value
  }
  // At a token followed by "=" and a value: an auth-param, not a new scheme or a token68.
  const atParam = () => {
    let j = i
    while (isTchar(text[j])) j++
    if (j === i) return false
    while (text[j] === ' ' || text[j] === '\t') j++
    if (text[j] !== '=') return false
    j++
    while (text[j] === ' ' || text[j] === '\t') j++
    return text[j] === '"' || isTchar(text[j])
  }

  while (i < text.length) {
    skip(/[\s,]/)
    if (i >= text.length) break
    const scheme = readToken()
    if (scheme === '') {
      i++
      continue
    }
    const params: Record<string, string> = Object.create(null) as Record<string, string>
    challenges.push({ scheme: scheme.toLowerCase(), params })
    skip(/[ \t]/)
    if (!atParam() && TOKEN68_CHAR.test(text.charAt(i))) {
      while (TOKEN68_CHAR.test(text.charAt(i))) i++
      while (text[i] === '=') i++
    }
    for (;;) {
      skip(/[\s,]/)
      if (i >= text.length || !atParam()) break
      const name = readToken().toLowerCase()
      skip(/[ \t]/)
      i++ // "="
      skip(/[ \t]/)
      const value = text[i] === '"' ? readQuoted() : readToken()
      if (!(name in params)) params[name] = value
    }
  }
  return challenges
}
