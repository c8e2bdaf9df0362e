// The public API of @warden/auth. Each export is documented where it is declared.

// Errors and time
export { AuthError, isAuthError, tokenErrorCodes, withoutStackTrace } from './errors/auth-error.ts'
export type { AuthErrorCode, TokenErrorCode } from './errors/auth-error.ts'
export { KeySetError } from './errors/key-set-error.ts'
export type { KeySetErrorCode } from './errors/key-set-error.ts'
export { systemClock } from './clock/clock.ts'
export type { Clock } from './clock/clock.ts'
export { createManualClock } from './clock/create-manual-clock.ts'
export type { ManualClock } from './clock/create-manual-clock.ts'

// Keys
export type { SigningAlgorithm } from './keys/signing-algorithm.ts'
export type { JwkSet, KeySet, PublicJwk, SigningKeyInfo } from './keys/key-set.ts'
export { loadKeySet, loadKeySetFile } from './keys/load-key-set.ts'
export { generateKeySet } from './keys/generate-key-set.ts'
export type { GenerateKeySetOptions } from './keys/generate-key-set.ts'
export { rotateKeySet } from './keys/rotate-key-set.ts'
export type { RotatedKeySet, RotateKeySetOptions } from './keys/rotate-key-set.ts'
export { isDevelopmentKey } from './keys/is-development-key.ts'

// Access tokens
export type { AccessTokenClaims } from './tokens/access-token-claims.ts'
export { createTokenService } from './tokens/create-token-service.ts'
/** How many verified tokens the token service's cache holds unless told otherwise. */
export { DEFAULT_CACHE_ENTRIES as DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES } from './internal/verified-token-cache.ts'
export type {
  IssueAccessTokenInput,
  IssuedAccessToken,
  TokenService,
  TokenServiceOptions,
} from './tokens/create-token-service.ts'
export { createRemoteVerifier } from './tokens/create-remote-verifier.ts'
export type {
  RemoteAlgorithm,
  RemoteVerifier,
  RemoteVerifierOptions,
} from './tokens/create-remote-verifier.ts'
export { tokenIssuedAt } from './tokens/token-issued-at.ts'

// Challenges
export { buildChallenge } from './challenges/build-challenge.ts'
export type { ChallengeParams } from './challenges/build-challenge.ts'
export { challengeFor } from './challenges/challenge-for.ts'
export type { Challenge } from './challenges/challenge-for.ts'
export { parseChallenge } from './challenges/parse-challenge.ts'
export type { ParsedChallenge } from './challenges/parse-challenge.ts'

// Policies
export { principalFromClaims } from './policies/principal-from-claims.ts'
export type { Principal } from './policies/principal-from-claims.ts'
export {
  all,
  allScopes,
  any,
  anyRole,
  authenticated,
  claimIn,
  requirement,
  sameTenant,
  userOnly,
} from './policies/requirements.ts'
export type { Requirement } from './policies/requirements.ts'
export { definePolicy } from './policies/define-policy.ts'
export type { Policy } from './policies/define-policy.ts'
export { evaluatePolicy } from './policies/evaluate-policy.ts'
export type { Decision, PolicyResourceArgs } from './policies/evaluate-policy.ts'

// Passwords
export { createPasswordHasher } from './passwords/create-password-hasher.ts'
export type { PasswordHasher, PasswordHasherOptions } from './passwords/create-password-hasher.ts'
export { checkPasswordPolicy } from './passwords/check-password-policy.ts'
export type { PasswordPolicyResult } from './passwords/check-password-policy.ts'

// Login throttling
export { decideLoginThrottle } from './throttle/decide-login-throttle.ts'
export type {
  LoginThrottleDecision,
  LoginThrottleInput,
  LoginThrottleOptions,
} from './throttle/decide-login-throttle.ts'

// Refresh tokens
export {
  deriveSuccessorToken,
  generateRefreshToken,
  hashRefreshToken,
  isRefreshTokenFormat,
  safeEqual,
} from './refresh-tokens/refresh-token.ts'
