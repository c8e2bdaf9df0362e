import { TRPCClientError } from '@trpc/client'

import { isRecord } from './is-record.ts'
import { parseWwwAuthenticate } from './parse-www-authenticate.ts'

/** `data.authError` of an error shaped like a `TRPCClientError`, if it is a string. */
export function authErrorFromData(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined
  const data = error['data']
  if (!isRecord(data)) return undefined
  const code = data['authError']
  return typeof code === 'string' && code !== '' ? code : undefined
}

function headerOf(response: unknown, name: string): string | null {
  if (!isRecord(response)) return null
  const headers = response['headers']
  if (!isRecord(headers) || typeof headers['get'] !== 'function') return null
  const value: unknown = (headers as { get(name: string): unknown }).get(name)
  return typeof value === 'string' ? value : null
}

/**
 * The Warden auth code an operation failed with: `error.data.authError` from the tRPC error body
 * (INTERFACE.md: present in every element of a batch), or else the `Bearer` challenge of a 401/403
 * response (`error_description` of `error="invalid_token"`, or `insufficient_scope`). The header
 * is read only when the element itself does not claim another HTTP status, so one element of a
 * mixed (207) batch can never borrow another element's challenge.
 */
export function authChallengeCode(error: unknown): string | undefined {
  const fromBody = authErrorFromData(error)
  if (fromBody !== undefined) return fromBody
  if (!(error instanceof TRPCClientError)) return undefined
  const meta: unknown = error.meta
  if (!isRecord(meta)) return undefined
  const response = meta['response']
  if (!isRecord(response)) return undefined
  const status = response['status']
  if (status !== 401 && status !== 403) return undefined
  const data: unknown = error.data
  if (isRecord(data) && typeof data['httpStatus'] === 'number' && data['httpStatus'] !== status) {
    return undefined
  }
  const header = headerOf(response, 'www-authenticate')
  if (header === null) return undefined
  const bearer = parseWwwAuthenticate(header).find((challenge) => challenge.scheme === 'bearer')
  if (bearer === undefined) return undefined
  const errorParam = bearer.params.get('error')
  if (status === 401 && errorParam === undefined) return 'missing_token'
  if (status === 401 && errorParam === 'invalid_token')
    return bearer.params.get('error_description')
  if (status === 403 && errorParam === 'insufficient_scope') return 'insufficient_scope'
  return undefined
}
