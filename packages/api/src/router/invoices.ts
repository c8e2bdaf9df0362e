import { TRPCError, type TRPCRouterRecord } from '@trpc/server'
import { z } from 'zod'

import { approveInvoice, createInvoice, listInvoices, MAX_INVOICE_AMOUNT } from '@warden/db'

import { storedText } from '../internal/stored-text.ts'
import { policies } from '../policies.ts'
import { tenantOf } from '../tenant.ts'
import { protectedProcedure } from '../trpc.ts'

export const invoicesRouter = {
  /**
   * A user lists their own tenant's invoices. A service client granted `invoices:read` (such as
   * the reports service) names the tenant it acts for; a user may only name their own.
   */
  list: protectedProcedure(policies.invoiceReader)
    .input(z.object({ tenantId: z.uuid().optional() }).default({}))
    .query(async ({ ctx, input }) => {
      const { principal } = ctx
      let tenantId: string
      if (principal.kind === 'service') {
        if (input.tenantId === undefined) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: 'A service must name the tenant' })
        }
        tenantId = input.tenantId
      } else {
        tenantId = tenantOf(principal)
        if (input.tenantId !== undefined && input.tenantId !== tenantId) return []
      }
      const invoices = await listInvoices(ctx.services.db.kysely, { tenantId })
      return invoices.map(({ id, amount, description, status }) => ({
        id,
        amount,
        description,
        status,
      }))
    }),

  create: protectedProcedure(policies.tenantMember)
    .input(
      z.object({
        amount: z.number().int().positive().max(MAX_INVOICE_AMOUNT),
        description: storedText({ min: 1, max: 500 }),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const invoice = await createInvoice(ctx.services.db.kysely, {
        tenantId: tenantOf(ctx.principal),
        amount: input.amount,
        description: input.description,
        createdBy: ctx.principal.sub,
        now: new Date(ctx.services.clock.now()),
      })
      return { id: invoice.id, status: 'pending' as const }
    }),

  approve: protectedProcedure(policies.invoiceApprover)
    .input(z.object({ id: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      const invoice = await approveInvoice(ctx.services.db.kysely, {
        tenantId: tenantOf(ctx.principal),
        id: input.id,
        approvedBy: ctx.principal.sub,
        now: new Date(ctx.services.clock.now()),
      })
      if (!invoice) throw new TRPCError({ code: 'NOT_FOUND', message: 'Invoice not found' })
      return { id: invoice.id, status: 'approved' as const }
    }),
} satisfies TRPCRouterRecord
