import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { serve, type ServerType } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'

import {
  createManualClock,
  createPasswordHasher,
  createRemoteVerifier,
  generateKeySet,
  type JwkSet,
  type ManualClock,
} from '@warden/auth'
import { approveInvoice, createServiceClient } from '@warden/db'
import { createTestDatabase, type TestBackend, type TestDatabase } from '@warden/db/testing'
import { createLogger, parseConfig, startWarden, type Warden } from '@warden/server'

import { createReportsApp, discoverWarden } from '../src/index.ts'

/** A whole second, so that `Date` headers (whole seconds) state the manual clock exactly. */
export const START = Date.UTC(2026, 10, 23, 12, 0, 0)
export const PASSWORD = 'correct horse battery staple'

/** One tRPC answer over HTTP. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly json: {
    result?: { data: unknown }
    error?: { message: string; data: { code: string; httpStatus: number; authError?: string } }
  }
}

/** Serves a fetch handler on 127.0.0.1 with an ephemeral port; the handler may come later. */
async function listen(): Promise<{
  url: string
  server: ServerType
  route: (handler: (request: Request, env: unknown) => Response | Promise<Response>) => void
}> {
  let handler: ((request: Request, env: unknown) => Response | Promise<Response>) | undefined
  const server = serve({
    fetch: (request, env) =>
      handler === undefined ? new Response('starting', { status: 503 }) : handler(request, env),
    port: 0,
    hostname: '127.0.0.1',
  })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    route: (next) => (handler = next),
  }
}

async function closeServer(server: ServerType) {
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}

/** GETs a query procedure (or POSTs a mutation) with an optional bearer token. */
export async function trpc(
  base: string,
  procedure: string,
  options: {
    token?: string
    input?: unknown
    method?: 'GET' | 'POST'
    headers?: Record<string, string>
  } = {},
): Promise<Answer> {
  const method = options.method ?? 'GET'
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`
  let url = `${base}/trpc/${procedure}`
  let body: string | undefined
  if (method === 'GET') {
    if (options.input !== undefined)
      url += `?input=${encodeURIComponent(JSON.stringify(options.input))}`
  } else {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.input ?? null)
  }
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Answer['json'],
  }
}

export interface ServicesOptions {
  readonly backend: TestBackend
  readonly clock?: ManualClock
  readonly keys?: JwkSet
  /** Shares a database (a second main server); the caller disposes it. */
  readonly database?: TestDatabase
  /** Start no reports service (a second issuer only). */
  readonly mainOnly?: boolean
}

export type Services = Awaited<ReturnType<typeof startServices>>

/**
 * The main Warden server and `apps/reports`, each on a real socket on 127.0.0.1, sharing one
 * manual clock. Warden's keys are in a key file (rotation steps act on it); `AUTH_USER_AUDIENCES`
 * is `warden-reports`. The reports service is registered as a client (`invoices:read` on
 * `warden-api`), discovers Warden from its metadata and verifies with its JWKS, whose fetches
 * are recorded.
 */
export async function startServices(options: ServicesOptions) {
  const clock = options.clock ?? createManualClock(START)
  const ownDatabase = options.database === undefined
  const database = options.database ?? (await createTestDatabase(options.backend))
  const dir = mkdtempSync(join(tmpdir(), 'warden-reports-'))
  const keyFile = join(dir, 'signing-keys.json')
  writeFileSync(keyFile, JSON.stringify(options.keys ?? (await generateKeySet('EdDSA'))), {
    mode: 0o600,
  })
  const passwords = createPasswordHasher({
    memoryCost: 1024,
    timeCost: 1,
    parallelism: 1,
    unsafeTestParameters: true,
  })

  const main = await listen()
  const mainLog: string[] = []
  const warden: Warden = await startWarden(
    parseConfig(
      {
        AUTH_ISSUER: main.url,
        AUTH_SIGNING_KEYS_FILE: keyFile,
        AUTH_USER_AUDIENCES: 'warden-reports',
        LOG_LEVEL: 'info',
      },
      { cwd: dir },
    ),
    {
      db: database,
      clock,
      passwords,
      logger: createLogger({
        level: 'info',
        write: (line) => mainLog.push(line),
        now: () => clock.now(),
      }),
      socketAddress: (c) => getConnInfo(c).remote.address,
    },
  )
  main.route((request, env) => warden.app.fetch(request, env))

  const clientSecret = `wcs_reports_${Math.random().toString(36).slice(2)}`
  if (!options.mainOnly) {
    const created = await createServiceClient(database.kysely, {
      id: 'reports',
      secretHash: await passwords.hash(clientSecret),
      audiences: ['warden-api'],
      scopes: ['invoices:read'],
      now: new Date(clock.now()),
    })
    if (!created.ok) throw new Error('the reports client exists')
  }

  /** Every JWKS the reports service fetched: when (manual clock) and which kids. */
  const jwksFetches: { at: number; kids: string[] }[] = []
  const reports = options.mainOnly ? undefined : await listen()
  const reportsLog: string[] = []
  if (reports !== undefined) {
    const endpoints = await discoverWarden({ wardenUrl: main.url })
    const verifier = createRemoteVerifier({
      jwksUrl: endpoints.jwksUri,
      issuer: endpoints.issuer,
      audience: 'warden-reports',
      clock,
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        const copy = (await response.clone().json()) as { keys: { kid: string }[] }
        jwksFetches.push({ at: clock.now(), kids: copy.keys.map((key) => key.kid) })
        return response
      },
    })
    const app = createReportsApp({
      verifier,
      mainApiUrl: main.url,
      tokenUrl: endpoints.tokenEndpoint,
      clientId: 'reports',
      clientSecret,
      clock,
      logger: {
        info: (message, fields) => reportsLog.push(JSON.stringify({ message, ...fields })),
        warn: (message, fields) => reportsLog.push(JSON.stringify({ message, ...fields })),
        error: (message, fields) => reportsLog.push(JSON.stringify({ message, ...fields })),
      },
    })
    reports.route((request) => app.fetch(request))
  }

  /** POSTs a form to the main server's token endpoint. */
  async function token(params: Record<string, string>) {
    const response = await fetch(`${main.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    })
    return { status: response.status, json: (await response.json()) as Record<string, unknown> }
  }

  /** Registers and logs a user in, in a new tenant; returns ids and the login's tokens. */
  async function signUp(email: string) {
    const registered = await trpc(main.url, 'auth.register', {
      method: 'POST',
      input: { email, password: PASSWORD },
    })
    if (registered.status !== 200) throw new Error(JSON.stringify(registered.json))
    const login = await trpc(main.url, 'auth.login', {
      method: 'POST',
      input: { email, password: PASSWORD },
    })
    if (login.status !== 200) throw new Error(JSON.stringify(login.json))
    const tokens = login.json.result?.data as { accessToken: string; refreshToken: string }
    const me = await trpc(main.url, 'auth.me', { token: tokens.accessToken })
    const { id, tenantId } = me.json.result?.data as { id: string; tenantId: string }
    return { id, tenantId, ...tokens }
  }

  /** Creates invoices through the API as the user; approves those marked so in the database. */
  async function addInvoices(
    user: { id: string; tenantId: string; accessToken: string },
    invoices: readonly { amount: number; approved?: boolean }[],
  ) {
    for (const [index, invoice] of invoices.entries()) {
      const created = await trpc(main.url, 'invoices.create', {
        method: 'POST',
        token: user.accessToken,
        input: { amount: invoice.amount, description: `Invoice ${index}` },
      })
      if (created.status !== 200) throw new Error(JSON.stringify(created.json))
      if (invoice.approved === true) {
        const { id } = created.json.result?.data as { id: string }
        await approveInvoice(database.kysely, {
          tenantId: user.tenantId,
          id,
          approvedBy: user.id,
          now: new Date(clock.now()),
        })
      }
    }
  }

  /** Trades a refresh token for an access token for `audience` (RFC 8707); returns both new tokens. */
  async function tokenFor(refreshToken: string, audience: string) {
    const answer = await token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      audience,
    })
    if (answer.status !== 200) throw new Error(JSON.stringify(answer.json))
    return {
      accessToken: String(answer.json['access_token']),
      refreshToken: String(answer.json['refresh_token']),
    }
  }

  const close = async () => {
    if (reports !== undefined) await closeServer(reports.server)
    await closeServer(main.server)
    await warden.close()
    if (ownDatabase) await database[Symbol.asyncDispose]()
  }

  return {
    clock,
    database,
    keyFile,
    warden,
    mainUrl: main.url,
    reportsUrl: reports?.url ?? '',
    clientSecret,
    jwksFetches,
    mainLog,
    reportsLog,
    token,
    signUp,
    addInvoices,
    tokenFor,
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** The protected header of a JWT, unverified. */
export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >
}

/** The challenge of an invalid token. */
export const invalidToken = (code: string) =>
  `Bearer realm="warden", error="invalid_token", error_description="${code}"`
