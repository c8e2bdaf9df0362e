import type { SigningKeyInfo } from './key-set.ts'

export function isDevelopmentKey(info: Pick<SigningKeyInfo, 'kid'>): boolean {
  return info.kid.startsWith('dev-')
}
