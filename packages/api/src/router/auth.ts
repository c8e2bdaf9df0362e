import { TRPCError, type TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'

import { AuthError, checkPasswordPolicy, hashRefreshToken } from '@warden/auth'
import {
  findFamilyByTokenHash,
  findUserById,
  listActiveFamilies,
  recordAuditEvent,
  registerUser,
  revokeAllFamilies,
  revokeFamily,
} from '@warden/db'

import type { Context } from '../context.ts'
import { toTRPCError } from '../errors.ts'
import { refreshUserSession, startUserSession, type TokenPair } from '../flows/sessions.ts'
import { storedText } from '../internal/stored-text.ts'
import { policies } from '../policies.ts'
import { protectedProcedure, publicProcedure } from '../trpc.ts'

const email = z.email().max(254)
// The policy counts code points after NFKC; this only bounds the work an input can cause.
const password = z.string().min(1).max(1024)
const refreshTokenInput = z.string().min(1).max(256)

/** The token answer of login and refresh; in cookie transport the refresh token stays out of it. */
interface TokenResponse {
  accessToken: string
  tokenType: 'Bearer'
  expiresIn: number
  refreshToken?: string
}

function respond(ctx: Context, pair: TokenPair, transport: 'bearer' | 'cookie'): TokenResponse {
  const { accessToken, tokenType, expiresIn } = pair
  if (transport === 'cookie') {
    ctx.request.refreshCookie.write(pair.refreshToken, pair.refreshExpiresIn)
    return { accessToken, tokenType, expiresIn }
  }
  return { accessToken, tokenType, expiresIn, refreshToken: pair.refreshToken }
}

/** Cookie-authenticated calls must come from an allowed origin (CSRF, login CSRF). */
function requireAllowedOrigin(ctx: Context) {
  if (!ctx.request.originAllowed) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Cross-origin request refused' })
  }
}

/** Runs an auth flow and converts its `AuthError` once, here at the procedure boundary. */
async function flow<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof AuthError) throw toTRPCError(error)
    throw error
  }
}

export const authRouter = {
  register: publicProcedure
    .meta({ priority: 'low' })
    .input(z.object({ email, password, name: storedText({ min: 1, max: 100 }).optional() }))
    .mutation(({ ctx, input }) =>
      flow(async () => {
        const { clock, db, passwords } = ctx.services
        const localPart = input.email.split('@')[0] ?? ''
        const policy = checkPasswordPolicy(input.password, {
          context: [localPart, ...(input.name === undefined ? [] : [input.name])],
        })
        if (!policy.ok) throw new AuthError('weak_password', `Password refused: ${policy.reason}`)
        const now = new Date(clock.now())
        const result = await registerUser(db.kysely, {
          email: input.email,
          ...(input.name === undefined ? {} : { name: input.name }),
          passwordHash: await passwords.hash(policy.normalized),
          tenantName: input.name ?? localPart,
          roles: ['member'],
          now,
        })
        if (!result.ok) {
          throw new TRPCError({
            code: 'CONFLICT',
            message: 'An account with this email already exists',
          })
        }
        await recordAuditEvent(db.kysely, {
          type: 'user_registered',
          at: now,
          actorUserId: result.user.id,
          ip: ctx.request.ip,
        })
        return { user: { id: result.user.id, email: result.user.email } }
      }),
    ),

  login: publicProcedure
    .meta({ priority: 'low' })
    .input(z.object({ email, password, transport: z.enum(['bearer', 'cookie']).default('bearer') }))
    .mutation(({ ctx, input }) =>
      flow(async () => {
        if (input.transport === 'cookie') requireAllowedOrigin(ctx)
        const user = await ctx.services.login.verify(ctx.services, ctx.request, input)
        const pair = await startUserSession(ctx.services, ctx.request, user)
        return respond(ctx, pair, input.transport)
      }),
    ),

  refresh: publicProcedure
    .input(z.object({ refreshToken: refreshTokenInput.optional() }).default({}))
    .mutation(({ ctx, input }) =>
      flow(async () => {
        const fromCookie = input.refreshToken === undefined
        if (fromCookie) requireAllowedOrigin(ctx)
        const presented = input.refreshToken ?? ctx.request.refreshCookie.read()
        if (presented === undefined)
          throw new AuthError('invalid_refresh_token', 'No refresh token')
        try {
          const pair = await refreshUserSession(ctx.services, ctx.request, presented)
          return respond(ctx, pair, fromCookie ? 'cookie' : 'bearer')
        } catch (error) {
          if (fromCookie && error instanceof AuthError) ctx.request.refreshCookie.clear()
          throw error
        }
      }),
    ),

  logout: protectedProcedure(policies.user)
    .input(z.object({ refreshToken: refreshTokenInput.optional() }).default({}))
    .mutation(async ({ ctx, input }) => {
      const { clock, db, revocations } = ctx.services
      const now = new Date(clock.now())
      const userId = ctx.principal.sub
      await revocations.revokeToken({
        jti: ctx.claims.jti,
        userId,
        expiresAt: ctx.claims.exp * 1000,
      })
      const presented = input.refreshToken ?? ctx.request.refreshCookie.read()
      let familyRevoked = false
      if (presented !== undefined) {
        const family = await findFamilyByTokenHash(db.kysely, hashRefreshToken(presented))
        if (family?.userId === userId) {
          familyRevoked = await revokeFamily(db.kysely, {
            familyId: family.familyId,
            reason: 'logout',
            now,
            userId,
          })
        }
      }
      ctx.request.refreshCookie.clear()
      await recordAuditEvent(db.kysely, {
        type: 'logout',
        at: now,
        actorUserId: userId,
        ip: ctx.request.ip,
      })
      return { ok: true as const, sessionEnded: familyRevoked }
    }),

  logoutAll: protectedProcedure(policies.user).mutation(async ({ ctx }) => {
    const { clock, db, revocations } = ctx.services
    const now = clock.now()
    const userId = ctx.principal.sub
    await revocations.revokeUserTokens({ userId, at: now })
    const sessions = await revokeAllFamilies(db.kysely, {
      userId,
      reason: 'logout_all',
      now: new Date(now),
    })
    ctx.request.refreshCookie.clear()
    await recordAuditEvent(db.kysely, {
      type: 'logout_all',
      at: new Date(now),
      actorUserId: userId,
      ip: ctx.request.ip,
      details: { sessions },
    })
    return { ok: true as const, sessionsEnded: sessions }
  }),

  me: protectedProcedure(policies.user).query(async ({ ctx }) => {
    const user = await findUserById(ctx.services.db.kysely, ctx.principal.sub)
    if (!user) throw new TRPCError({ code: 'NOT_FOUND', message: 'User not found' })
    return {
      id: user.id,
      email: user.email,
      roles: [...ctx.principal.roles],
      tenantId: ctx.principal.tenantId ?? null,
      scope: ctx.claims.scope ?? '',
    }
  }),

  sessions: protectedProcedure(policies.user).query(async ({ ctx }) => {
    const families = await listActiveFamilies(ctx.services.db.kysely, {
      userId: ctx.principal.sub,
      now: new Date(ctx.services.clock.now()),
    })
    return families.map((family) => ({
      id: family.id,
      createdAt: family.createdAt.toISOString(),
      lastUsedAt: family.lastUsedAt.toISOString(),
      userAgent: family.userAgent ?? null,
    }))
  }),

  revokeSession: protectedProcedure(policies.user)
    .input(z.object({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const { clock, db } = ctx.services
      const revoked = await revokeFamily(db.kysely, {
        familyId: input.id,
        reason: 'revoked_by_user',
        now: new Date(clock.now()),
        userId: ctx.principal.sub,
      })
      if (!revoked) throw new TRPCError({ code: 'NOT_FOUND', message: 'Session not found' })
      return { id: input.id }
    }),
} satisfies TRPCRouterRecord
