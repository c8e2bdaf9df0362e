import { initTRPC, TRPCError } from '@trpc/server'

import { AuthError, evaluatePolicy, type AuthErrorCode, type Policy } from '@warden/auth'
import { isDatabaseUnavailable } from '@warden/db'

import {
  parseAuthorization,
  type AuthenticatedContext,
  type AuthState,
  type Context,
} from './context.ts'
import { formatWardenError } from './error-formatter.ts'
import { toTRPCError } from './errors.ts'

/** How a procedure may be reached. Every procedure declares one; the base procedure enforces it. */
export type Access =
  | { readonly kind: 'public' }
  // The policy's resource type is erased here; `protectedProcedure` keeps it typed.
  | { readonly kind: 'policy'; readonly policy: Policy }

/** Procedure metadata: the access rule and the priority, readable by tests that walk the router. */
export interface ProcedureMeta {
  readonly access?: Access
  /**
   * `low`: the procedure does password work (argon2id), and the HTTP layer may let the requests
   * already waiting go first (a storm of logins must not delay the API's other calls).
   */
  readonly priority?: 'low'
}

/** What the client finds in `error.data` besides tRPC's own fields. */
export interface WardenErrorData {
  /** The auth failure code (`expired_token`, `insufficient_scope`, …), when the error is one. */
  readonly authError?: AuthErrorCode
  /** Seconds to wait, for `rate_limited`. */
  readonly retryAfter?: number
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({ errorFormatter: formatWardenError })

export const createRouter = t.router
export const createCallerFactory = t.createCallerFactory

const databaseUnavailable = () =>
  new TRPCError({
    code: 'SERVICE_UNAVAILABLE',
    message: 'The database is unavailable; try again shortly',
  })

/**
 * What every procedure's middleware does around its own check: it denies any procedure that
 * declares no access (default deny at run time, on top of the test that walks the router), and
 * turns a database outage into a 503. Each procedure kind has exactly one middleware (this plus
 * its check): every middleware level costs tRPC two copies of the call's options per request.
 */
export function denyUndeclared(meta: ProcedureMeta | undefined): void {
  if (meta?.access === undefined) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'This procedure declares no access rule' })
  }
}

function mapDatabaseOutage<R extends { ok: boolean; error?: TRPCError }>(result: R): R {
  if (!result.ok && isDatabaseUnavailable(result.error?.cause)) throw databaseUnavailable()
  return result
}

/**
 * The caller's verified state when `policy` lets it through; otherwise the error to answer: no
 * or a bad token → 401 with its code, a valid token the policy refuses → 403
 * `insufficient_scope`. Shared by every service that guards procedures with Warden's policies.
 *
 * @throws TRPCError
 */
export function authorize(
  policy: Policy,
  auth: AuthState,
): Extract<AuthState, { status: 'authenticated' }> {
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
  return auth
}

/**
 * A procedure anyone may call. A malformed request (a token in the URL, a broken or doubled
 * `Authorization` header) is still refused with 400 `invalid_request`; a token is not verified.
 */
export const publicProcedure = t.procedure
  .meta({ access: { kind: 'public' } })
  .use(async ({ meta, ctx, next }) => {
    denyUndeclared(meta)
    if (
      ctx.request.tokenInUrl ||
      parseAuthorization(ctx.request.authorization).kind === 'malformed'
    ) {
      const failed = ctx.auth()
      if (failed.status === 'failed') throw toTRPCError(failed.error)
    }
    return mapDatabaseOutage(await next())
  })

/**
 * A procedure guarded by a policy from `@warden/auth`. Authentication runs first, before any
 * handler side effect (so a client may safely replay the call after refreshing), then the policy:
 * no or a bad token → 401 with its code; a valid token the policy refuses → 403
 * `insufficient_scope`. The handler gets `ctx.principal` and `ctx.claims`.
 */
export function protectedProcedure(policy: Policy) {
  return t.procedure
    .meta({ access: { kind: 'policy', policy } })
    .use(async ({ meta, ctx, next }) => {
      denyUndeclared(meta)
      authorize(policy, ctx.auth())
      // The context itself answers `principal` and `claims` from the state just authorized (see
      // `RequestContext`). Handing them to `next({ ctx })` instead would make tRPC copy the
      // context, property by property, on every call; so `next()` is called as is, and its
      // result is typed as what it is: a call whose context also has `principal` and `claims`
      // (the type parameter is only a marker; the result itself is the same).
      const result: Awaited<ReturnType<typeof next<AuthenticatedContext>>> = await next()
      return mapDatabaseOutage(result)
    })
}
