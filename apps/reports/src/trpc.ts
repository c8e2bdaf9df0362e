import { initTRPC, TRPCError } from '@trpc/server'

import { formatWardenError, toTRPCError, type ProcedureMeta } from '@warden/api'
import {
  AuthError,
  evaluatePolicy,
  type AccessTokenClaims,
  type Policy,
  type Principal,
} from '@warden/auth'

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
      if (meta?.access === undefined) {
        throw new TRPCError({
          code: 'FORBIDDEN',
          message: 'This procedure declares no access rule',
        })
      }
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
      if (auth.status === 'failed') throw toTRPCError(auth.error)
      if (auth.status === 'anonymous') {
        throw toTRPCError(new AuthError('missing_token', 'Authentication required'))
      }
      const decision = evaluatePolicy(policy, auth.principal, undefined)
      if (!decision.allowed) {
        throw toTRPCError(
          decision.reason === 'unauthenticated'
            ? new AuthError('missing_token', 'Authentication required')
            : new AuthError('insufficient_scope', `Requires ${decision.requirement}`),
        )
      }
      const principal: Principal = auth.principal
      const claims: AccessTokenClaims = auth.claims
      return next({ ctx: { principal, claims } })
    })
}
