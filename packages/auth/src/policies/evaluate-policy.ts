import type { Policy } from './define-policy.ts'
import type { Principal } from './principal-from-claims.ts'
import { failingRequirement } from './requirements.ts'

/** The outcome of a policy: denials say why and which requirement failed. */
export type Decision =
  | { readonly allowed: true }
  | {
      readonly allowed: false
      readonly reason: 'unauthenticated' | 'forbidden'
      /** Name of the requirement that failed (or "authenticated"). */
      readonly requirement: string
    }

/** The resource argument: optional for a policy that needs none, required otherwise. */
export type PolicyResourceArgs<TResource> = undefined extends TResource
  ? [resource?: TResource]
  : [resource: TResource]

const ALLOWED: Decision = Object.freeze({ allowed: true })

/**
 * Evaluates a policy for a principal (null when unauthenticated) and, for policies that need
 * one, a resource. Never throws for a denial: a denial is a value.
 *
 * @example
 * const decision = evaluatePolicy(policies.invoiceReader, principal, invoice)
 * if (!decision.allowed) throw new TRPCError({ code: 'FORBIDDEN' })
 */
export function evaluatePolicy<TResource>(
  policy: Policy<TResource>,
  principal: Principal | null,
  ...[resource]: PolicyResourceArgs<TResource>
): Decision {
  if (principal === null) {
    return { allowed: false, reason: 'unauthenticated', requirement: 'authenticated' }
  }
  const failing = failingRequirement(policy.requirement, principal, resource as TResource)
  return failing === undefined
    ? ALLOWED
    : { allowed: false, reason: 'forbidden', requirement: failing.name }
}
