import { initTRPC, TRPCError } from '@trpc/server'

import { authorize, denyUndeclared, formatWardenError, type ProcedureMeta } from '@warden/api'
import type { Policy } from '@warden/auth'

import type { ReportsContext } from './context.ts'

// The same error shape as Warden's API (`error.data.authError`), so one client reads both.
const t = initTRPC
  .context<ReportsContext>()
  .meta<ProcedureMeta>()
  .create({ errorFormatter: formatWardenError })

export const createReportsRouter = t.router

/**
 * A procedure guarded by a policy, as in Warden's API: authentication first (no or a bad token
 * → 401 with its code), then the policy (→ 403 `insufficient_scope`); a procedure without an
 * access rule is refused (default deny). When Warden's JWKS cannot be loaded at all, 503.
 */
export function protectedProcedure(policy: Policy) {
  return t.procedure
    .meta({ access: { kind: 'policy', policy } })
    .use(async ({ meta, ctx, next }) => {
      denyUndeclared(meta)
      let auth: Awaited<ReturnType<ReportsContext['auth']>>
      try {
        auth = await ctx.auth()
      } catch (cause) {
        ctx.logger.error('cannot verify tokens: no JWKS', {
          error: cause instanceof Error ? cause.message : String(cause),
        })
        throw new TRPCError({
          code: 'SERVICE_UNAVAILABLE',
          message: 'Tokens cannot be verified right now',
          cause,
        })
      }
      const { principal, claims } = authorize(policy, auth)
      return next({ ctx: { principal, claims } })
    })
}
