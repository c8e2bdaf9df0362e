import { TRPCClientError } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'

/** The failures of the Warden client itself, as opposed to the errors a procedure returns. */
export type WardenClientErrorCode =
  /** The server refused the refresh credential: the session is over, sign in again. */
  | 'session_expired'
  /** There is no session to refresh or end (no refresh token is held). */
  | 'not_authenticated'
  /** The refresh did not complete for a transient reason; the session is kept. */
  | 'refresh_failed'
  /** The OAuth token endpoint refused a client-credentials request. */
  | 'token_request_failed'
  /** The server answered outside the wire contract (a missing or mistyped field). */
  | 'invalid_response'

/**
 * A Warden client failure with a stable `code`. It extends `TRPCClientError` so that a procedure
 * call waiting on a refresh rejects with this very error: tRPC passes its own error class through
 * unchanged, and would wrap any other.
 */
export class WardenClientError extends TRPCClientError<AnyRouter> {
  /** What went wrong, for programs. */
  readonly code: WardenClientErrorCode
  /**
   * The server's code behind the failure: the refresh refusal (`refresh_reused`,
   * `refresh_revoked`, `refresh_expired`, `invalid_refresh_token`, …), the RFC 6749 `error` of
   * the token endpoint (`invalid_client`, …), or `network_error` when no answer came.
   */
  readonly reason: string | undefined
  /** The HTTP status of the answer behind the failure, when there was one. */
  readonly status: number | undefined

  constructor(
    code: WardenClientErrorCode,
    message: string,
    options: { reason?: string | undefined; status?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause instanceof Error ? { cause: options.cause } : {})
    // TRPCClientError pins its own prototype in its constructor; restore the subclass's.
    Object.setPrototypeOf(this, new.target.prototype)
    this.name = 'WardenClientError'
    this.code = code
    this.reason = options.reason
    this.status = options.status
  }
}
