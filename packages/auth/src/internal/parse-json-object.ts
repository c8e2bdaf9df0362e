import { isUtf8 } from 'node:buffer'

import { countTopLevelMembers } from './count-top-level-members.ts'

/**
 * Parses UTF-8 bytes holding a JSON object without duplicate member names, or returns undefined.
 */
export function parseJsonObject(
  bytes: Buffer,
  maxBytes: number,
): { readonly value: Record<string, unknown>; readonly names: readonly string[] } | undefined {
  if (bytes.length > maxBytes) return undefined
  const text = bytes.toString('utf8')
  // Buffer turns invalid UTF-8 into U+FFFD silently; look closer only when one shows up.
  if (text.includes('\uFFFD') && !isUtf8(bytes)) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const names = Object.keys(value)
  if (countTopLevelMembers(text) !== names.length) return undefined
  return { value: value as Record<string, unknown>, names }
}
