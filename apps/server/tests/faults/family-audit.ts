import type { WardenDatabase } from '@warden/db'

/** One refresh family as the database holds it, with what the invariants found wrong. */
export interface FamilyState {
  readonly id: string
  readonly userId: string | null
  readonly revokedAt: Date | null
  readonly revokeReason: string | null
  readonly tokens: number
  /** Unused, unrevoked, unexpired tokens: exactly one in a live family. */
  readonly live: number
  readonly problems: readonly string[]
}

/**
 * Reads every refresh family and checks the rotation invariants row by row:
 * - a live family has exactly one live (unused, unrevoked) token;
 * - a revoked family has no live token;
 * - every token with a child was used, and no token has two children (never half-rotated);
 * - the tokens form one chain from the family's first token.
 */
export async function auditFamilies(
  db: WardenDatabase['kysely'],
  now: Date,
): Promise<Map<string, FamilyState>> {
  const families = await db
    .selectFrom('refresh_family')
    .select(['id', 'user_id', 'revoked_at', 'revoke_reason', 'expires_at'])
    .execute()
  const tokens = await db
    .selectFrom('refresh_token')
    .select(['id', 'family_id', 'parent_id', 'used_at', 'revoked_at', 'expires_at'])
    .execute()
  const byFamily = new Map<string, typeof tokens>()
  for (const token of tokens) {
    const list = byFamily.get(token.family_id) ?? []
    list.push(token)
    byFamily.set(token.family_id, list)
  }
  const states = new Map<string, FamilyState>()
  for (const family of families) {
    const own = byFamily.get(family.id) ?? []
    const problems: string[] = []
    const live = own.filter(
      (token) => token.used_at === null && token.revoked_at === null && token.expires_at > now,
    )
    if (family.revoked_at === null && family.expires_at > now && live.length !== 1) {
      problems.push(`live family with ${live.length} live tokens`)
    }
    if (family.revoked_at !== null && live.length > 0) {
      problems.push(`revoked family with ${live.length} live tokens`)
    }
    const children = new Map<string, number>()
    for (const token of own) {
      if (token.parent_id !== null) {
        children.set(token.parent_id, (children.get(token.parent_id) ?? 0) + 1)
      }
    }
    const roots = own.filter((token) => token.parent_id === null)
    if (roots.length !== 1) problems.push(`${roots.length} first tokens`)
    for (const token of own) {
      const count = children.get(token.id) ?? 0
      if (count > 1) problems.push(`token ${token.id} has ${count} children`)
      if (count > 0 && token.used_at === null)
        problems.push(`token ${token.id} has a child, unused`)
      if (token.parent_id !== null && !own.some((parent) => parent.id === token.parent_id)) {
        problems.push(`token ${token.id} has a parent outside its family`)
      }
    }
    states.set(family.id, {
      id: family.id,
      userId: family.user_id,
      revokedAt: family.revoked_at,
      revokeReason: family.revoke_reason,
      tokens: own.length,
      live: live.length,
      problems,
    })
  }
  return states
}

/** Every problem of every family, as `family: problem` lines (empty when all is well). */
export function familyProblems(states: Map<string, FamilyState>): string[] {
  return [...states.values()].flatMap((state) =>
    state.problems.map((problem) => `${state.id}: ${problem}`),
  )
}
