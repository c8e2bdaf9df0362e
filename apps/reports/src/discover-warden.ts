/** Where a Warden's endpoints are, read from its RFC 8414 metadata. */
export interface WardenEndpoints {
  readonly issuer: string
  readonly tokenEndpoint: string
  readonly jwksUri: string
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function httpUrl(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`The metadata has no ${name}`)
  const url = new URL(value)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`The metadata's ${name} is not an http(s) URL`)
  }
  return url.href
}

/**
 * Reads `<wardenUrl>/.well-known/oauth-authorization-server` (RFC 8414) and returns the token
 * endpoint and JWKS URI. The metadata's `issuer` must be `wardenUrl` itself (§3.3): otherwise
 * tokens would be checked against an issuer nobody configured.
 *
 * @throws Error when the metadata cannot be fetched in `timeoutMs` (default 5000), is not JSON,
 *   names another issuer or lacks an endpoint
 */
export async function discoverWarden(options: {
  wardenUrl: string
  fetch?: typeof fetch | undefined
  timeoutMs?: number | undefined
}): Promise<WardenEndpoints> {
  const issuer = options.wardenUrl
  const doFetch = options.fetch ?? globalThis.fetch
  const response = await doFetch(new URL('/.well-known/oauth-authorization-server', issuer), {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
  })
  if (response.status !== 200) throw new Error(`Warden's metadata answered ${response.status}`)
  const metadata: unknown = await response.json()
  if (!isRecord(metadata)) throw new Error("Warden's metadata is not a JSON object")
  if (metadata['issuer'] !== issuer) {
    throw new Error(
      `Warden's metadata names the issuer ${String(metadata['issuer'])}, not ${issuer} (set WARDEN_URL to AUTH_ISSUER)`,
    )
  }
  return Object.freeze({
    issuer,
    tokenEndpoint: httpUrl(metadata['token_endpoint'], 'token_endpoint'),
    jwksUri: httpUrl(metadata['jwks_uri'], 'jwks_uri'),
  })
}
