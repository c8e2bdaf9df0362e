import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'

import {
  createManualClock,
  generateKeySet,
  type JwkSet,
  type ManualClock,
  type PasswordHasher,
  type SigningAlgorithm,
} from '@warden/auth'
import { createServiceClient, setServiceClientEnabled } from '@warden/db'
import { createTestDatabase, type TestBackend, type TestDatabase } from '@warden/db/testing'

import { createLogger, parseConfig, startWarden, type Warden } from '../../src/index.ts'
import { START, testPasswords, type TrpcEnvelope } from '../harness.ts'

export interface SocketWardenOptions {
  readonly backend: TestBackend
  readonly alg?: SigningAlgorithm
  /** A private JWK Set to start with; written to a key file (AUTH_SIGNING_KEYS_FILE). */
  readonly keys?: JwkSet
  readonly env?: Record<string, string>
  readonly clock?: ManualClock
  /** Shares a database (several servers on one); the caller disposes it. */
  readonly database?: TestDatabase
  /** The password hasher; fast test parameters by default. */
  readonly passwords?: PasswordHasher
}

export type SocketWarden = Awaited<ReturnType<typeof startSocketWarden>>

/** A token endpoint answer, parsed. */
export interface TokenAnswer {
  readonly status: number
  readonly headers: Headers
  readonly json: Record<string, unknown>
}

/**
 * A complete Warden served by `@hono/node-server` on 127.0.0.1 with an ephemeral port, its
 * issuer the URL it is reachable at, its keys in a 0600 key file (so that rotation steps and
 * `reloadSigningKeys` act on it), a manual clock, fast argon2 and captured log lines.
 * `AUTH_USER_AUDIENCES` is `warden-reports` unless `env` says otherwise.
 */
export async function startSocketWarden(options: SocketWardenOptions) {
  const ownDatabase = options.database === undefined
  const database = options.database ?? (await createTestDatabase(options.backend))
  const clock = options.clock ?? createManualClock(START)
  const dir = mkdtempSync(join(tmpdir(), 'warden-oauth-'))
  const keyFile = join(dir, 'signing-keys.json')
  writeFileSync(
    keyFile,
    JSON.stringify(options.keys ?? (await generateKeySet(options.alg ?? 'EdDSA'))),
    { mode: 0o600 },
  )
  const logLines: string[] = []

  // The issuer is the URL the socket got, so the server starts only once it listens.
  const target: { warden?: Warden } = {}
  const server = serve({
    fetch: (request, env) =>
      target.warden === undefined
        ? new Response('starting', { status: 503 })
        : target.warden.app.fetch(request, env),
    port: 0,
    hostname: '127.0.0.1',
  })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const config = parseConfig(
    {
      AUTH_ISSUER: url,
      AUTH_SIGNING_KEYS_FILE: keyFile,
      AUTH_USER_AUDIENCES: 'warden-reports',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    { cwd: dir },
  )
  const started = await startWarden(config, {
    db: database,
    clock,
    passwords: options.passwords ?? testPasswords(),
    logger: createLogger({
      level: 'info',
      write: (line) => logLines.push(line),
      now: () => clock.now(),
    }),
    socketAddress: (c) => getConnInfo(c).remote.address,
  })
  target.warden = started

  /** POSTs a form to the token endpoint, with Basic credentials when given. */
  async function token(
    params: Record<string, string> | string,
    init: { basic?: readonly [string, string]; headers?: Record<string, string> } = {},
  ): Promise<TokenAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      ...init.headers,
    }
    if (init.basic !== undefined) {
      const [id, secret] = init.basic.map((part) =>
        new URLSearchParams({ v: part }).toString().slice(2),
      )
      headers['authorization'] = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
    }
    const response = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers,
      body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
    })
    return {
      status: response.status,
      headers: response.headers,
      json: (await response.json()) as Record<string, unknown>,
    }
  }

  /** Calls one procedure over HTTP (GET for `.list`/`.me`-style queries given by `method`). */
  async function call(
    procedure: string,
    options: { token?: string; input?: unknown; method?: 'GET' | 'POST' } = {},
  ) {
    const method = options.method ?? 'GET'
    const headers: Record<string, string> = {}
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`
    let path = `${url}/trpc/${procedure}`
    let body: string | undefined
    if (method === 'GET') {
      if (options.input !== undefined) {
        path += `?input=${encodeURIComponent(JSON.stringify(options.input))}`
      }
    } else {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.input ?? null)
    }
    const response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body }) })
    const json = (await response.json()) as TrpcEnvelope
    return { status: response.status, headers: response.headers, json, data: json.result?.data }
  }

  /** What `pnpm warden clients create` does; returns the secret. */
  async function createClient(client: {
    id: string
    audiences: readonly string[]
    scopes?: readonly string[]
    enabled?: boolean
  }): Promise<string> {
    const secret = `wcs_test_${client.id}_secret`
    const created = await createServiceClient(database.kysely, {
      id: client.id,
      secretHash: await started.services.passwords.hash(secret),
      audiences: client.audiences,
      scopes: client.scopes ?? [],
      now: new Date(clock.now()),
    })
    if (!created.ok) throw new Error(`client ${client.id} exists`)
    if (client.enabled === false) {
      await setServiceClientEnabled(database.kysely, {
        id: client.id,
        enabled: false,
        now: new Date(clock.now()),
      })
    }
    return secret
  }

  /** Registers and logs a user in (own tenant); returns the user and the login's tokens. */
  async function signUp(email: string) {
    const password = 'correct horse battery staple'
    const registered = await call('auth.register', {
      method: 'POST',
      input: { email, password },
    })
    if (registered.status !== 200) throw new Error(JSON.stringify(registered.json))
    const login = await call('auth.login', { method: 'POST', input: { email, password } })
    if (login.status !== 200) throw new Error(JSON.stringify(login.json))
    const { user } = registered.data as { user: { id: string; email: string } }
    return {
      user,
      ...(login.data as { accessToken: string; refreshToken: string; expiresIn: number }),
    }
  }

  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      if ('closeAllConnections' in server) server.closeAllConnections()
    })
    await started.close()
    if (ownDatabase) await database[Symbol.asyncDispose]()
  }

  return {
    url,
    warden: started,
    services: started.services,
    config,
    clock,
    database,
    keyFile,
    logLines,
    token,
    call,
    createClient,
    signUp,
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** The claims of a JWT, unverified (for asserting what was issued). */
export function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** The protected header of a JWT, unverified. */
export function headerOf(token: string): Record<string, unknown> {
  const header = token.split('.')[0] ?? ''
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>
}
