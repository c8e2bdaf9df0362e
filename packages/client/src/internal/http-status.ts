import { isRecord } from './is-record.ts'

/** The HTTP status behind a tRPC client error: `data.httpStatus`, else the response's status. */
export function httpStatusOf(error: unknown): number | undefined {
  if (!isRecord(error)) return undefined
  const data = error['data']
  if (isRecord(data) && typeof data['httpStatus'] === 'number') return data['httpStatus']
  const meta = error['meta']
  if (!isRecord(meta)) return undefined
  const response = meta['response']
  if (isRecord(response) && typeof response['status'] === 'number') return response['status']
  return undefined
}

/** tRPC's error code (`INTERNAL_SERVER_ERROR`, …) from `data.code`, when present. */
export function trpcCodeOf(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined
  const data = error['data']
  return isRecord(data) && typeof data['code'] === 'string' ? data['code'] : undefined
}
