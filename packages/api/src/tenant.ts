import { TRPCError } from '@trpc/server'

import type { Principal } from '@warden/auth'

/**
 * The caller's tenant. The tenant policies guarantee one; this narrows the type and fails closed
 * should a procedure ever be guarded by a policy that does not.
 */
export function tenantOf(principal: Principal): string {
  if (principal.tenantId === undefined) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'No tenant in the access token' })
  }
  return principal.tenantId
}
