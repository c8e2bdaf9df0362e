/** The claims of a Warden access token (RFC 9068 profile). NumericDates are epoch seconds. */
export interface AccessTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  jti: string
  client_id: string
  nbf?: number
  roles?: string[]
  /** Space-separated scopes. */
  scope?: string
  /** Tenant id. */
  tid?: string
}
