import type { StoredTokens } from '../memory-storage.ts'
import { isRecord } from './is-record.ts'

/** A storage's value if it is well-formed `StoredTokens`, else `null`: storage is not trusted. */
export function validStoredTokens(value: unknown): StoredTokens | null {
  if (!isRecord(value)) return null
  const { accessToken, expiresAt, refreshToken } = value
  if (typeof accessToken !== 'string' || accessToken === '') return null
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return null
  if (refreshToken === undefined) return { accessToken, expiresAt }
  if (typeof refreshToken !== 'string' || refreshToken === '') return null
  return { accessToken, expiresAt, refreshToken }
}
