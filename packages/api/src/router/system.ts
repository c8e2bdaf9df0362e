import type { TRPCRouterRecord } from '@trpc/server'

import packageJson from '../../package.json' with { type: 'json' }
import { policies } from '../policies.ts'
import { protectedProcedure, publicProcedure } from '../trpc.ts'

export const systemRouter = {
  info: publicProcedure.query(({ ctx }) => ({
    name: 'warden' as const,
    version: packageJson.version,
    issuer: ctx.services.config.issuer,
  })),

  /** What the access token says, read from the token alone: no database read. */
  whoami: protectedProcedure(policies.signedIn).query(({ ctx }) => {
    const { claims, principal } = ctx
    return {
      sub: claims.sub,
      clientId: claims.client_id,
      roles: [...principal.roles],
      scope: claims.scope ?? '',
      tenantId: claims.tid ?? null,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    }
  }),
} satisfies TRPCRouterRecord
