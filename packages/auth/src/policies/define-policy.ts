import type { Requirement } from './requirements.ts'

/** A named authorization policy: a value, evaluated with {@link evaluatePolicy}. */
export interface Policy<TResource = void> {
  readonly name: string
  readonly requirement: Requirement<TResource>
  describe(): string
}

/**
 * Names a requirement as a policy.
 *
 * @throws TypeError for an empty name or a missing requirement
 * @example
 * const projectManager = definePolicy('project-manager', all(authenticated(), anyRole('manager')))
 */
export function definePolicy<TResource = void>(
  name: string,
  requirement: Requirement<TResource>,
): Policy<TResource> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('A policy needs a name')
  if (typeof requirement.check !== 'function') throw new TypeError('A policy needs a requirement')
  return Object.freeze({
    name,
    requirement,
    describe: () => `${name}: ${requirement.name}`,
  })
}
