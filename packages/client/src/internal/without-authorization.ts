/**
 * The headers without any `Authorization` entry (any case): the client sets that one itself, and
 * a second one would make the server refuse the request (400 `invalid_request`).
 */
export function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization') result[name] = value
  }
  return result
}
