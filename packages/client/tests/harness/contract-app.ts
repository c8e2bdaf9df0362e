import { fetchRequestHandler } from '@trpc/server/adapters/fetch'

import { contractRouter } from './contract-router.ts'
import { ContractAuthError, ContractState, type ContractConfig } from './contract-state.ts'
import type { ManualClock } from './fake-time.ts'

/** `WWW-Authenticate` for an auth code, as INTERFACE.md's challenge table has it. */
export function challengeFor(code: string): { status: number; header: string } | undefined {
  if (code === 'missing_token') return { status: 401, header: 'Bearer realm="warden"' }
  if (code === 'insufficient_scope') {
    return { status: 403, header: 'Bearer realm="warden", error="insufficient_scope"' }
  }
  if (
    code === 'invalid_credentials' ||
    code.startsWith('refresh_') ||
    code === 'invalid_refresh_token'
  ) {
    return undefined
  }
  return {
    status: 401,
    header: `Bearer realm="warden", error="invalid_token", error_description="${code}"`,
  }
}

function oauthError(status: number, error: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error }, { status, headers: { 'cache-control': 'no-store', ...headers } })
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '))
}

/** RFC 6749 §4.4 client credentials, client_secret_basic (§2.3.1) or client_secret_post. */
function tokenEndpoint(state: ContractState, body: URLSearchParams, authorization: string | null) {
  let clientId: string | undefined
  let secret: string | undefined
  if (authorization !== null) {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization)
    const decoded = match?.[1] === undefined ? '' : atob(match[1])
    const colon = decoded.indexOf(':')
    if (colon < 0)
      return oauthError(401, 'invalid_client', { 'www-authenticate': 'Basic realm="warden"' })
    clientId = formDecode(decoded.slice(0, colon))
    secret = formDecode(decoded.slice(colon + 1))
  } else {
    clientId = body.get('client_id') ?? undefined
    secret = body.get('client_secret') ?? undefined
  }
  const client = clientId === undefined ? undefined : state.serviceClient(clientId)
  if (clientId === undefined || client === undefined || client.secret !== secret) {
    return oauthError(401, 'invalid_client', { 'www-authenticate': 'Basic realm="warden"' })
  }
  if (body.get('grant_type') !== 'client_credentials')
    return oauthError(400, 'unsupported_grant_type')
  const audience = body.get('audience')
  if (audience === null || !client.audiences.includes(audience))
    return oauthError(400, 'invalid_target')
  const allowed = client.scope.split(' ').filter(Boolean)
  const requested = body.get('scope')?.split(' ').filter(Boolean) ?? allowed
  if (!requested.every((scope) => allowed.includes(scope))) return oauthError(400, 'invalid_scope')
  const access = state.issueAccessToken({
    sub: clientId,
    clientId,
    audience,
    roles: [],
    scope: requested.join(' '),
    tenantId: null,
  })
  return Response.json(
    {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: Math.round(state.config.accessTokenTtlMs / 1000),
      scope: access.scope,
    },
    { headers: { 'cache-control': 'no-store' } },
  )
}

/** The contract server as a fetch handler (the shape Hono's `app.fetch` has too). */
export interface ContractApp {
  readonly state: ContractState
  fetch(request: Request): Promise<Response>
}

/** Builds the contract server on `clock`; every response carries `Date` from that clock. */
export function createContractApp(config: ContractConfig, clock: ManualClock): ContractApp {
  const state = new ContractState(config, clock)

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/trpc/')) {
      return fetchRequestHandler({
        endpoint: '/trpc',
        req: request,
        router: contractRouter,
        createContext: ({ req, resHeaders }) => ({ state, req, resHeaders }),
        responseMeta({ errors }) {
          for (const error of errors) {
            if (!(error.cause instanceof ContractAuthError)) continue
            const challenge = challengeFor(error.cause.code)
            if (challenge !== undefined)
              return { headers: { 'www-authenticate': challenge.header } }
          }
          return {}
        },
      })
    }
    if (url.pathname === '/oauth/token' && request.method === 'POST') {
      if (request.headers.get('content-type') !== 'application/x-www-form-urlencoded') {
        return oauthError(400, 'invalid_request')
      }
      return tokenEndpoint(
        state,
        new URLSearchParams(await request.text()),
        request.headers.get('authorization'),
      )
    }
    return new Response('Not found', { status: 404 })
  }

  return {
    state,
    async fetch(request) {
      const response = await route(request)
      const headers = new Headers(response.headers)
      headers.set('date', new Date(clock.now()).toUTCString())
      return new Response(response.body, { status: response.status, headers })
    },
  }
}
