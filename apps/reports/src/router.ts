import { TRPCError } from '@trpc/server'

import { reportsPolicies } from './policies.ts'
import { summarizeInvoices } from './summarize-invoices.ts'
import { createReportsRouter, protectedProcedure } from './trpc.ts'

/** The reports service's tRPC router. */
export const reportsRouter = createReportsRouter({
  reports: {
    /**
     * The caller's tenant's invoices, added up. The tenant is the verified token's `tid`, never
     * an input; the invoices come from Warden's API under this service's own token.
     */
    tenantSummary: protectedProcedure(reportsPolicies.tenantReader).query(async ({ ctx }) => {
      const tenantId = ctx.principal.tenantId
      if (tenantId === undefined) {
        throw new TRPCError({ code: 'FORBIDDEN', message: 'No tenant in the access token' })
      }
      let invoices
      try {
        invoices = await ctx.warden.api.invoices.list.query({ tenantId })
      } catch (cause) {
        // Never the upstream's 401 as the caller's: its token is not the one that failed.
        ctx.logger.error('Warden API call failed', {
          error: cause instanceof Error ? cause.message : String(cause),
        })
        throw new TRPCError({ code: 'BAD_GATEWAY', message: 'Warden could not be read', cause })
      }
      return summarizeInvoices(tenantId, invoices)
    }),
  },
})

/** The router's type, for typed clients (`import type`). */
export type ReportsRouter = typeof reportsRouter
