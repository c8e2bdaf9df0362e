/** The credentials a `createWardenClient` keeps between calls. */
export interface StoredTokens {
  /** The bearer access token. */
  readonly accessToken: string
  /**
   * When the access token expires, in epoch milliseconds **on the server's clock** (estimated from
   * the `Date` header of the response that issued it), so a persisted value stays right however
   * wrong the device clock is.
   */
  readonly expiresAt: number
  /** The refresh token (bearer transport only; with cookies it never reaches JavaScript). */
  readonly refreshToken?: string | undefined
}

/**
 * Where a bearer-transport client keeps its tokens. Both methods may be synchronous or return a
 * promise (React Native's AsyncStorage, an encrypted store). `get` is called once at start and
 * before each refresh, so that a storage shared with another instance is followed; whatever it
 * returns is validated, and a malformed value is treated as no session.
 */
export interface TokenStorage {
  get(): StoredTokens | null | Promise<StoredTokens | null>
  set(tokens: StoredTokens | null): void | Promise<void>
}

/**
 * A `TokenStorage` that keeps the tokens in this JavaScript realm's memory only: the default, and
 * the only place an XSS-reachable page should keep a refresh token if it must hold one at all.
 */
export function memoryStorage(): TokenStorage {
  let tokens: StoredTokens | null = null
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next
    },
  }
}
