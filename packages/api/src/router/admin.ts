import { TRPCError, type TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'

import { findUserById, listUsers, recordAuditEvent, setUserRoles } from '@warden/db'

import { policies } from '../policies.ts'
import { ROLES } from '../scopes.ts'
import { tenantOf } from '../tenant.ts'
import { protectedProcedure } from '../trpc.ts'

/** Tenant administration: an admin sees and manages the users of their own tenant only. */
export const adminRouter = {
  users: {
    list: protectedProcedure(policies.admin).query(async ({ ctx }) => {
      const users = await listUsers(ctx.services.db.kysely, { tenantId: tenantOf(ctx.principal) })
      return users.map((user) => ({
        id: user.id,
        email: user.email,
        roles: user.roles,
        createdAt: user.createdAt.toISOString(),
      }))
    }),

    /**
     * Sets a user's roles. The change reaches the user's next access token (at their next
     * refresh); with `revokeTokens` their current access tokens stop working at once.
     */
    setRoles: protectedProcedure(policies.admin)
      .input(
        z.object({
          userId: z.uuid(),
          roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
          revokeTokens: z.boolean().default(false),
        }),
      )
      .mutation(async ({ ctx, input }) => {
        const { clock, db, revocations } = ctx.services
        const tenantId = tenantOf(ctx.principal)
        const user = await findUserById(db.kysely, input.userId)
        if (user?.tenantId !== tenantId) {
          throw new TRPCError({ code: 'NOT_FOUND', message: 'User not found' })
        }
        const now = clock.now()
        const roles = [...new Set(input.roles)]
        await setUserRoles(db.kysely, { userId: user.id, roles, now: new Date(now) })
        if (input.revokeTokens) await revocations.revokeUserTokens({ userId: user.id, at: now })
        await recordAuditEvent(db.kysely, {
          type: 'roles_changed',
          at: new Date(now),
          actorUserId: ctx.principal.sub,
          ip: ctx.request.ip,
          details: { userId: user.id, roles: roles.join(' '), revokeTokens: input.revokeTokens },
        })
        return { id: user.id, roles }
      }),
  },
} satisfies TRPCRouterRecord
