import type { SigningKeyInfo } from './key-set.ts'

/** True for a development key (its kid starts with `dev-`), which production refuses. */
export function isDevelopmentKey(info: Pick<SigningKeyInfo, 'kid'>): boolean {
  return info.kid.startsWith('dev-')
}
