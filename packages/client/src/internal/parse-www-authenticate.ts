/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** The auth scheme, lower-cased (schemes are case-insensitive, RFC 9110 §11.1). */
  readonly scheme: string
  /** Auth parameters by lower-cased name; values unquoted and unescaped. */
  readonly params: ReadonlyMap<string, string>
  readonly token68?: string
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/
const TOKEN68_CHAR = /^[A-Za-z0-9\-._~+/]$/

/**
 * Parses a `WWW-Authenticate` field value into its challenges (RFC 9110 §11.6.1, §11.2:
 * `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, params are `token BWS "=" BWS
 * ( token / quoted-string )`). Parsing stops at the first malformed part and returns the
 * challenges read before it, so a garbled header can never yield an invented parameter.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = []
  let pos = 0

  const peek = (): string | undefined => header[pos]
  const skipWhitespace = () => {
    while (peek() === ' ' || peek() === '\t') pos++
  }
  const skipWhitespaceAndCommas = () => {
    while (peek() === ' ' || peek() === '\t' || peek() === ',') pos++
  }
  const readToken = (): string => {
    const start = pos
    while (pos < header.length && TCHAR.test(header.charAt(pos))) pos++
    return header.slice(start, pos)
  }
  const readQuotedString = (): string | null => {
    pos++
    let value = ''
    while (pos < header.length) {
      const char = header.charAt(pos)
      if (char === '"') {
        pos++
        return value
      }
      if (char === '\\') {
        const escaped = header.charAt(pos + 1)
        if (escaped === '') return null
        value += escaped
        pos += 2
        continue
      }
      value += char
      pos++
    }
    return null
  }
  const readToken68 = (): string => {
    const start = pos
    while (pos < header.length && TOKEN68_CHAR.test(header.charAt(pos))) pos++
    if (pos === start) return ''
    while (peek() === '=') pos++
    return header.slice(start, pos)
  }
  // `name BWS "=" BWS` followed by a value: an auth-param. Otherwise (`abc==`, `abc=` at the
  // end) it is a token68, whose padding `=` would otherwise pass for a parameter.
  const paramStartsHere = (): boolean => {
    const saved = pos
    const name = readToken()
    skipWhitespace()
    let isParam = false
    if (name !== '' && peek() === '=') {
      pos++
      skipWhitespace()
      const next = peek()
      isParam = next === '"' || (next !== undefined && TCHAR.test(next))
    }
    pos = saved
    return isParam
  }
  // After a comma: does another auth-param follow, or the next challenge's scheme?
  const paramFollows = (): boolean => {
    const saved = pos
    skipWhitespaceAndCommas()
    const isParam = paramStartsHere()
    pos = saved
    return isParam
  }

  for (;;) {
    skipWhitespaceAndCommas()
    if (pos >= header.length) return challenges
    const scheme = readToken()
    if (scheme === '') return challenges
    const params = new Map<string, string>()
    let token68: string | undefined

    const hadSpace = peek() === ' '
    skipWhitespace()
    if (hadSpace && pos < header.length && peek() !== ',') {
      if (paramStartsHere()) {
        for (;;) {
          const paramName = readToken().toLowerCase()
          skipWhitespace()
          if (paramName === '' || peek() !== '=') return challenges
          pos++
          skipWhitespace()
          const value = peek() === '"' ? readQuotedString() : readToken() || null
          if (value === null) return challenges
          // RFC 9110 §11.2: each parameter name occurs once per challenge; a repeated one makes
          // the challenge ambiguous, so it is dropped rather than resolved either way.
          if (params.has(paramName)) return challenges
          params.set(paramName, value)
          skipWhitespace()
          if (peek() !== ',' || !paramFollows()) break
          skipWhitespaceAndCommas()
        }
      } else {
        token68 = readToken68()
        if (token68 === '') return challenges
      }
    }
    skipWhitespace()
    // Anything but a comma or the end after a challenge: the challenge itself is suspect.
    if (pos < header.length && peek() !== ',') return challenges
    challenges.push(
      token68 === undefined
        ? { scheme: scheme.toLowerCase(), params }
        : { scheme: scheme.toLowerCase(), params, token68 },
    )
  }
}
