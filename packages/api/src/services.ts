import type { Clock, PasswordHasher, TokenService } from '@warden/auth'
import type { WardenDatabase } from '@warden/db'

import type { LoginCheck } from './flows/login.ts'
import type { RevocationList } from './revocation-list.ts'

/** The settings the procedures need, parsed once by the server from its environment. */
export interface ApiConfig {
  /** `iss` of issued tokens. */
  readonly issuer: string
  /** This API's own audience (`aud` of the tokens it issues to users). */
  readonly audience: string
  /** `client_id` of tokens issued to users by `auth.login` (the first-party app). */
  readonly firstPartyClientId: string
  /** Access-token lifetime in seconds. */
  readonly accessTokenTtl: number
  /** Refresh-token lifetime in seconds (each rotation starts a new one). */
  readonly refreshTokenTtl: number
  /** Absolute lifetime of a refresh family in seconds: rotating cannot extend a session past it. */
  readonly refreshFamilyMaxAge: number
  /** Seconds during which a just-rotated refresh token may be presented again (same successor). */
  readonly refreshReuseInterval: number
}

/** Minimal structured logger; the server's writes one JSON line per call. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/** Everything the router reaches at run time. Built once at start by the server. */
export interface ApiServices {
  readonly config: ApiConfig
  readonly db: WardenDatabase
  readonly tokens: TokenService
  readonly passwords: PasswordHasher
  readonly revocations: RevocationList
  /** Password check behind brute-force throttling; holds per-instance state. */
  readonly login: LoginCheck
  /** Server-held key from which a refresh token's successor is derived (see `deriveSuccessorToken`). */
  readonly refreshSecret: Uint8Array
  readonly clock: Clock
  readonly logger: Logger
}
