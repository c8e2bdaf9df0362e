import type { AuthErrorCode } from '@warden/auth'

/** Hono context variables of one request; read by the request log. */
export interface AppEnv {
  Variables: {
    userId?: string
    authError?: AuthErrorCode
  }
}
