import { describe, expect, it } from 'vitest'

import { isUuid } from './uuid.ts'
import { clientText, isTokenHash, normaliseNameList } from './validate.ts'

describe('validation helpers', () => {
  it('recognises uuids only', () => {
    expect(isUuid('6f1c2a9e-4b1d-4c3e-9a7f-2b8d5e0c1a3f')).toBe(true)
    expect(isUuid('6F1C2A9E-4B1D-4C3E-9A7F-2B8D5E0C1A3F')).toBe(true)
    for (const value of [
      '',
      '6f1c2a9e4b1d4c3e9a7f2b8d5e0c1a3f',
      '6f1c2a9e-4b1d-4c3e-9a7f-2b8d5e0c1a3',
      "' or 1=1",
    ]) {
      expect(isUuid(value)).toBe(false)
    }
  })

  it('recognises lower-case hex SHA-256 only', () => {
    expect(isTokenHash('a'.repeat(64))).toBe(true)
    expect(isTokenHash('A'.repeat(64))).toBe(false)
    expect(isTokenHash('a'.repeat(63))).toBe(false)
    expect(isTokenHash(`wrt_${'a'.repeat(43)}`)).toBe(false)
  })

  it('deduplicates name lists and rejects bad names', () => {
    expect(normaliseNameList('roles', ['a', 'b', 'a'], 3)).toEqual(['a', 'b'])
    expect(() => normaliseNameList('roles', ['a', 'b', 'c', 'd'], 3)).toThrow(TypeError)
    for (const bad of ['', 'a b', 'a"b', 'a\\b', 'é', 'x'.repeat(201)]) {
      expect(() => normaliseNameList('scopes', [bad], 3)).toThrow(TypeError)
    }
  })

  it('cleans client-supplied text', () => {
    expect(clientText(undefined, 5)).toBeNull()
    expect(clientText('a\u0000b', 5)).toBe('ab')
    expect(clientText('abcdefgh', 5)).toBe('abcde')
  })
})
