import {
  AuthError,
  principalFromClaims,
  type AccessTokenClaims,
  type Principal,
} from '@warden/auth'

import type { RequestMeta } from './request.ts'
import type { ApiServices } from './services.ts'

/** Who is calling, as far as the `Authorization` header tells. */
export type AuthState =
  | { readonly status: 'anonymous' }
  | {
      readonly status: 'authenticated'
      readonly principal: Principal
      readonly claims: AccessTokenClaims
    }
  | { readonly status: 'failed'; readonly error: AuthError }

/** The tRPC context: services, the request, and the caller's authentication, resolved lazily. */
export interface Context {
  readonly services: ApiServices
  readonly request: RequestMeta
  /**
   * Verifies the bearer token on first use and remembers the outcome. Public procedures never
   * call it, so they pay nothing for a token they do not need. Never throws.
   */
  auth(): AuthState
  /** The outcome if `auth()` already ran (for the request log), without running it. */
  peekAuth(): AuthState | undefined
}

/** What a procedure behind `protectedProcedure` finds in `ctx` besides the {@link Context}. */
export interface AuthenticatedContext {
  readonly principal: Principal
  readonly claims: AccessTokenClaims
}

const ANONYMOUS: AuthState = { status: 'anonymous' }
// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i
const BEARER_SCHEME = /^bearer(?: |$)/i
const LATER_BEARER = /,\s*bearer(?: |$)/i

/** Reads the token out of an `Authorization` header, telling absent from malformed apart. */
export function parseAuthorization(
  header: string | null,
): { kind: 'token'; token: string } | { kind: 'none' } | { kind: 'malformed' } {
  if (header === null || header === '') return { kind: 'none' }
  const match = BEARER.exec(header)
  if (match?.[1] !== undefined) return { kind: 'token', token: match[1] }
  // A Bearer header with anything else in it — a second token, two headers that the HTTP stack
  // joined with a comma, a missing token — is a malformed request, not an anonymous one.
  if (BEARER_SCHEME.test(header) || LATER_BEARER.test(header)) return { kind: 'malformed' }
  // Another scheme (Basic, Digest…): no Bearer credentials at all.
  return { kind: 'none' }
}

// The verified-token cache hands out the same frozen claims object for every request with the
// same token, so the authenticated state derived from it (the principal is a pure function of
// the claims; the state is immutable) is kept alongside, for as long as the claims object lives,
// instead of being rebuilt per request. Revocation is still checked on every request, before it.
const authenticatedStates = new WeakMap<AccessTokenClaims, AuthState>()

function authenticated(claims: AccessTokenClaims): AuthState {
  let state = authenticatedStates.get(claims)
  if (state === undefined) {
    state = { status: 'authenticated', principal: principalFromClaims(claims), claims }
    authenticatedStates.set(claims, state)
  }
  return state
}

function authenticate(services: ApiServices, request: RequestMeta): AuthState {
  if (request.tokenInUrl) {
    return {
      status: 'failed',
      error: new AuthError('invalid_request', 'Tokens are not accepted in the URL'),
    }
  }
  const header = request.authorization
  // `Bearer <token>` with a token the verified-token cache holds: that token passed full
  // verification, so it is three canonical base64url segments joined by dots, all of them
  // b64token characters, and the RFC 6750 parse below would extract exactly it. The parse (a
  // regular expression over ~550 characters) is most of what a cache hit costs, so it is skipped
  // for such a header. Anything else (another spelling of the scheme, more spaces, a second
  // credential after the token) is not a cached token and takes the parse.
  if (header?.startsWith('Bearer ') === true) {
    const known = services.tokens.cachedAccessToken(header.slice(7))
    if (known !== undefined) return unlessRevoked(services, known)
  }
  const parsed = parseAuthorization(header)
  if (parsed.kind === 'none') return ANONYMOUS
  if (parsed.kind === 'malformed') {
    return {
      status: 'failed',
      error: new AuthError('invalid_request', 'Malformed Authorization header'),
    }
  }
  let claims: AccessTokenClaims
  try {
    claims = services.tokens.verifyAccessToken(parsed.token)
  } catch (error) {
    if (error instanceof AuthError) return { status: 'failed', error }
    throw error
  }
  return unlessRevoked(services, claims)
}

/** Revocation is checked on every request, for a cached token as for a freshly verified one. */
function unlessRevoked(services: ApiServices, claims: AccessTokenClaims): AuthState {
  if (services.revocations.isRevoked(claims)) {
    return { status: 'failed', error: new AuthError('revoked_token', 'The token has been revoked') }
  }
  return authenticated(claims)
}

/**
 * The context of one request. A class rather than an object of closures: one allocation per
 * request, its methods shared. `principal` and `claims` are read-only views of the authenticated
 * state, for the handlers of protected procedures (whose middleware has authorized the call
 * before any handler runs); read anywhere else, they throw instead of answering for nobody.
 */
class RequestContext implements Context, AuthenticatedContext {
  readonly services: ApiServices
  readonly request: RequestMeta
  #state: AuthState | undefined

  constructor(services: ApiServices, request: RequestMeta) {
    this.services = services
    this.request = request
  }

  auth(): AuthState {
    return (this.#state ??= authenticate(this.services, this.request))
  }

  peekAuth(): AuthState | undefined {
    return this.#state
  }

  get principal(): Principal {
    return this.#authenticated().principal
  }

  get claims(): AccessTokenClaims {
    return this.#authenticated().claims
  }

  #authenticated() {
    const state = this.#state
    if (state?.status !== 'authenticated') {
      throw new Error('ctx.principal and ctx.claims exist only behind protectedProcedure')
    }
    return state
  }
}

/** Builds the context of one HTTP request. Cheap: nothing is verified until a procedure asks. */
export function createContext(options: { services: ApiServices; request: RequestMeta }): Context {
  return new RequestContext(options.services, options.request)
}
