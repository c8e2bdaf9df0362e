import { authErrorFromData } from './internal/auth-challenge-code.ts'

/**
 * The Warden auth code of a failed procedure call: `error.data.authError` of a
 * `TRPCClientError` (`expired_token`, `revoked_token`, `insufficient_scope`, `invalid_credentials`,
 * `refresh_reused`, `rate_limited`, …), or `undefined` when the error carries none.
 *
 * @example
 * ```ts
 * try {
 *   await client.login({ email, password })
 * } catch (error) {
 *   if (authErrorOf(error) === 'invalid_credentials') showWrongPassword()
 *   else throw error
 * }
 * ```
 */
export function authErrorOf(error: unknown): string | undefined {
  return authErrorFromData(error)
}
