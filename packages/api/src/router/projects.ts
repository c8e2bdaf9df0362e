import { TRPCError, type TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'

import { createProject, deleteProject, getProject, listProjects } from '@warden/db'

import { storedText } from '../internal/stored-text.ts'
import { policies } from '../policies.ts'
import { tenantOf } from '../tenant.ts'
import { protectedProcedure } from '../trpc.ts'

const notFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' })

/** Every query filters by the token's tenant: another tenant's project is simply not found. */
export const projectsRouter = {
  list: protectedProcedure(policies.tenantMember).query(async ({ ctx }) => {
    const projects = await listProjects(ctx.services.db.kysely, {
      tenantId: tenantOf(ctx.principal),
    })
    return projects.map(({ id, name }) => ({ id, name }))
  }),

  get: protectedProcedure(policies.tenantMember)
    .input(z.object({ id: z.string().min(1).max(64) }))
    .query(async ({ ctx, input }) => {
      const project = await getProject(ctx.services.db.kysely, {
        tenantId: tenantOf(ctx.principal),
        id: input.id,
      })
      if (!project) throw notFound()
      return { id: project.id, name: project.name }
    }),

  create: protectedProcedure(policies.tenantMember)
    .input(z.object({ name: storedText({ min: 1, max: 200 }) }))
    .mutation(async ({ ctx, input }) => {
      const project = await createProject(ctx.services.db.kysely, {
        tenantId: tenantOf(ctx.principal),
        name: input.name,
        createdBy: ctx.principal.sub,
        now: new Date(ctx.services.clock.now()),
      })
      return { id: project.id, name: project.name }
    }),

  delete: protectedProcedure(policies.projectManager)
    .input(z.object({ id: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const deleted = await deleteProject(ctx.services.db.kysely, {
        tenantId: tenantOf(ctx.principal),
        id: input.id,
      })
      if (!deleted) throw notFound()
      return { id: input.id }
    }),
} satisfies TRPCRouterRecord
