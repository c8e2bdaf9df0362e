import type { Requirement } from './requirements.ts'

export interface Policy<TResource = void> {
  readonly name: string
  readonly requirement: Requirement<TResource>
  describe(): string
}

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
