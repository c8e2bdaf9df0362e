import type { TRPCDefaultErrorShape, TRPCError } from '@trpc/server'

import { authErrorOf } from './errors.ts'
import type { WardenErrorData } from './trpc.ts'

/**
 * The `errorFormatter` of Warden's tRPC routers (the API's, and any service's that answers the
 * same way, such as `apps/reports`): copies the `AuthError` code of an auth failure into
 * `error.data.authError` (and `retryAfter` when rate limited), never puts a stack trace on the
 * wire, and hides the message of an internal error.
 *
 * @example
 * initTRPC.context<MyContext>().create({ errorFormatter: formatWardenError })
 */
export function formatWardenError({
  shape,
  error,
}: {
  shape: TRPCDefaultErrorShape
  error: TRPCError
}) {
  const authError = authErrorOf(error)
  // Never a stack trace on the wire, in any environment; internal messages stay in the log.
  const { stack: _stack, ...data } = shape.data
  const extra: WardenErrorData = authError
    ? {
        authError: authError.code,
        ...(authError.retryAfter === undefined ? {} : { retryAfter: authError.retryAfter }),
      }
    : {}
  return {
    ...shape,
    message: error.code === 'INTERNAL_SERVER_ERROR' ? 'Internal server error' : shape.message,
    data: { ...data, ...extra },
  }
}
