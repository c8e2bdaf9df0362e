import type { TRPCRouterRecord } from '@trpc/server'

import type { Principal } from '@warden/auth'

import packageJson from '../../package.json' with { type: 'json' }
import { policies } from '../policies.ts'
import { protectedProcedure, publicProcedure } from '../trpc.ts'

/** `system.whoami`'s answer (the server's copy is frozen, all the way down). */
export interface Whoami {
  sub: string
  clientId: string
  roles: string[]
  scope: string
  tenantId: string | null
  /** ISO 8601. */
  expiresAt: string
}

// The answer is a pure function of the principal, and the verified-token cache hands out the
// same frozen claims, and with them the same principal, for every request with the same token:
// it is built once per principal, as long as that object lives, instead of once per request.
// Being deeply frozen (the roles are the principal's frozen list), it is also serialized once
// (the server's single-query path keeps the JSON of such a result).
const answers = new WeakMap<Principal, Whoami>()

function whoamiOf(principal: Principal): Whoami {
  let answer = answers.get(principal)
  if (answer === undefined) {
    const { claims } = principal
    answer = Object.freeze({
      sub: claims.sub,
      clientId: claims.client_id,
      roles: principal.roles as string[],
      scope: claims.scope ?? '',
      tenantId: claims.tid ?? null,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    })
    answers.set(principal, answer)
  }
  return answer
}

export const systemRouter = {
  info: publicProcedure.query(({ ctx }) => ({
    name: 'warden' as const,
    version: packageJson.version,
    issuer: ctx.services.config.issuer,
  })),

  /** What the access token says, read from the token alone: no database read. */
  whoami: protectedProcedure(policies.signedIn).query(({ ctx }) => whoamiOf(ctx.principal)),
} satisfies TRPCRouterRecord
