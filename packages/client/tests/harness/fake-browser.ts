/**
 * What a browser does around `fetch` for one origin, as far as the cookie transport cares: a
 * cookie jar shared by its tabs, sent and filled only for credentialed requests; an `Origin`
 * header on non-GET requests; and `Set-Cookie` hidden from JavaScript (a forbidden response
 * header name). Cookie attributes other than `Max-Age=0` are ignored; one origin, one path.
 */
export interface FakeBrowser {
  readonly origin: string
  readonly cookies: ReadonlyMap<string, string>
  readonly fetch: typeof fetch
  /** Every `init.credentials` value a request was sent with. */
  readonly credentialModes: readonly (string | undefined)[]
}

export function createFakeBrowser(origin: string): FakeBrowser {
  const cookies = new Map<string, string>()
  const credentialModes: (string | undefined)[] = []
  const browserFetch: typeof fetch = async (input, init) => {
    credentialModes.push(init?.credentials)
    const credentialed = init?.credentials === 'include'
    const headers = new Headers(init?.headers)
    // Browsers forbid scripts from setting these.
    headers.delete('cookie')
    headers.delete('origin')
    if ((init?.method ?? 'GET') !== 'GET') headers.set('origin', origin)
    if (credentialed && cookies.size > 0) {
      headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    }
    const response = await fetch(input, { ...init, headers })
    if (credentialed) {
      for (const cookie of response.headers.getSetCookie()) {
        const [pair = '', ...attributes] = cookie.split(';').map((part) => part.trim())
        const [name = '', ...value] = pair.split('=')
        if (attributes.some((attribute) => attribute.toLowerCase() === 'max-age=0'))
          cookies.delete(name)
        else cookies.set(name, value.join('='))
      }
    }
    const visible = new Headers(response.headers)
    visible.delete('set-cookie')
    return new Response(response.body, { status: response.status, headers: visible })
  }
  return { origin, cookies, fetch: browserFetch, credentialModes }
}
