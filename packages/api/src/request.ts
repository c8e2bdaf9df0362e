/** The refresh-token cookie, as the HTTP layer exposes it to the procedures. */
export interface RefreshCookie {
  /** The refresh token the browser sent, if any. */
  read(): string | undefined
  /** Sets the HttpOnly, Secure, SameSite=Strict cookie on the response. */
  write(token: string, maxAgeSeconds: number): void
  /** Expires the cookie on the response. */
  clear(): void
}

/** What the procedures may know about the HTTP request, extracted by the server. */
export interface RequestMeta {
  /** Client IP (from the socket, or from `X-Forwarded-For` when the proxy is trusted). */
  readonly ip: string
  readonly userAgent: string | undefined
  /** The raw `Authorization` header; parsed lazily, only when a procedure needs the caller. */
  readonly authorization: string | null
  /** True when the request carried a bearer token somewhere it must not (the URL). */
  readonly tokenInUrl: boolean
  /**
   * Whether a browser `Origin` is acceptable for cookie-authenticated calls: absent (not a
   * browser), same-origin, or listed in `CORS_ORIGINS`.
   */
  readonly originAllowed: boolean
  readonly refreshCookie: RefreshCookie
}
