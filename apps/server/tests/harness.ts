import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'

import { appRouter } from '@warden/api'
import {
  createManualClock,
  createPasswordHasher,
  generateKeySet,
  type PasswordHasher,
  type SigningAlgorithm,
} from '@warden/auth'
import { createTestDatabase, type TestBackend } from '@warden/db/testing'

import { createLogger, parseConfig, startWarden, type LowPriorityLane } from '../src/index.ts'

export const START = Date.UTC(2026, 10, 23, 12, 0, 0)

/** Fast argon2 parameters for tests that are not about hashing cost. */
export const testPasswords = (limits: { maxConcurrent?: number; maxQueue?: number } = {}) =>
  createPasswordHasher({
    memoryCost: 1024,
    timeCost: 1,
    parallelism: 1,
    unsafeTestParameters: true,
    ...limits,
  })

/**
 * A fast test hasher that admits one password operation at a time (no queue). `saturate()`
 * takes that one place until `free()`: meanwhile the hasher's own admission refuses every
 * login and client authentication `overloaded`.
 */
export function saturableHasher() {
  const passwords = testPasswords({ maxConcurrent: 1, maxQueue: 0 })
  let release: (() => void) | undefined
  let held: Promise<void> | undefined
  return {
    passwords,
    saturate() {
      held = passwords.admit(
        () =>
          new Promise<void>((resolve) => {
            release = resolve
          }),
      )
    },
    /** Gives the place back; resolves once the hasher has it again. */
    async free() {
      release?.()
      await held
    },
  }
}

export interface TestWardenOptions {
  backend: TestBackend
  alg?: SigningAlgorithm
  env?: Record<string, string>
  /** Real argon2id parameters instead of the fast test ones. */
  realPasswords?: boolean
  /** A hasher of the test's own (wins over `realPasswords`). */
  passwords?: PasswordHasher
  /** Shares an existing database (two instances on one database). */
  database?: Awaited<ReturnType<typeof createTestDatabase>>
  ip?: string
  /** The lane password work waits in (see `AppOptions.lane`). */
  lane?: LowPriorityLane
}

export type TestWarden = Awaited<ReturnType<typeof startTestWarden>>

/**
 * Starts a complete Warden in process on a fresh database of the given backend, with a manual
 * clock, captured log lines and helpers that speak tRPC over `app.request` (no port).
 */
export async function startTestWarden(options: TestWardenOptions) {
  const ownDatabase = options.database === undefined
  const database = options.database ?? (await createTestDatabase(options.backend))
  const keys = await generateKeySet(options.alg ?? 'EdDSA')
  const clock = createManualClock(START)
  const logLines: string[] = []
  const config = parseConfig(
    {
      AUTH_SIGNING_KEYS: JSON.stringify(keys),
      LOG_LEVEL: 'info',
      CORS_ORIGINS: 'https://app.example',
      ...options.env,
    },
    { cwd: mkdtempSync(join(tmpdir(), 'warden-test-')) },
  )
  const logger = createLogger({
    level: 'info',
    write: (line) => logLines.push(line),
    now: () => clock.now(),
  })
  const warden = await startWarden(config, {
    db: database,
    clock,
    logger,
    passwords:
      options.passwords ?? (options.realPasswords ? createPasswordHasher() : testPasswords()),
    socketAddress: () => options.ip ?? '203.0.113.7',
    ...(options.lane ? { lane: options.lane } : {}),
  })
  const base = 'http://localhost:3000'

  const request = (path: string, init?: RequestInit) =>
    warden.app.request(new Request(new URL(path, base), init))

  /** Calls one procedure the way a tRPC HTTP client does (GET for queries, POST for mutations). */
  async function call(
    procedure: string,
    input?: unknown,
    init: { token?: string; method?: 'GET' | 'POST'; headers?: Record<string, string> } = {},
  ) {
    const method = init.method ?? (isQuery(procedure) ? 'GET' : 'POST')
    const headers: Record<string, string> = { ...init.headers }
    if (init.token !== undefined) headers['authorization'] = `Bearer ${init.token}`
    let path = `/trpc/${procedure}`
    let body: string | undefined
    if (method === 'GET') {
      if (input !== undefined) path += `?input=${encodeURIComponent(JSON.stringify(input))}`
    } else {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(input ?? null)
    }
    const response = await request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    })
    const json = (await response.json()) as TrpcEnvelope
    return { response, status: response.status, json, data: json.result?.data, error: json.error }
  }

  async function register(email: string, password = 'correct horse battery staple') {
    const result = await call('auth.register', { email, password })
    if (result.status !== 200) throw new Error(`register failed: ${JSON.stringify(result.json)}`)
    return result.data as { user: { id: string; email: string } }
  }

  async function login(email: string, password = 'correct horse battery staple') {
    const result = await call('auth.login', { email, password })
    if (result.status !== 200) throw new Error(`login failed: ${JSON.stringify(result.json)}`)
    return result.data as {
      accessToken: string
      refreshToken: string
      expiresIn: number
      tokenType: 'Bearer'
    }
  }

  async function signUp(email: string, password?: string) {
    const { user } = await register(email, password)
    return { user, ...(await login(email, password)) }
  }

  return {
    warden,
    app: warden.app,
    services: warden.services,
    clock,
    database,
    logLines,
    request,
    call,
    register,
    login,
    signUp,
    async [Symbol.asyncDispose]() {
      await warden.close()
      if (ownDatabase) await database[Symbol.asyncDispose]()
    },
  }
}

/**
 * A complete Warden served over a real socket by @hono/node-server (HTTP/1.1 through
 * `node:http`, the client address from the socket), on 127.0.0.1 and a free port, with fast test
 * passwords and a fresh database of the given backend; disposing of it closes every connection.
 */
export async function serveTestWarden(backend: TestBackend, alg: SigningAlgorithm = 'EdDSA') {
  const database = await createTestDatabase(backend)
  const config = parseConfig(
    {
      AUTH_SIGNING_KEYS: JSON.stringify(await generateKeySet(alg)),
      LOG_LEVEL: 'silent',
      PORT: '0',
    },
    { cwd: mkdtempSync(join(tmpdir(), 'warden-socket-')) },
  )
  const warden = await startWarden(config, {
    db: database,
    passwords: testPasswords(),
    socketAddress: (c) => getConnInfo(c).remote.address,
  })
  // Without `createServer`, @hono/node-server serves through `node:http`.
  const server = serve({ fetch: warden.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await warden.close()
      await database[Symbol.asyncDispose]()
    },
  }
}

/** Whether a procedure path is a query (GET) or a mutation (POST), read from the router. */
export function isQuery(procedure: string): boolean {
  const found = (
    appRouter._def.procedures as unknown as Record<string, { _def: { type: string } } | undefined>
  )[procedure]
  return found?._def.type === 'query'
}

export interface TrpcError {
  message: string
  code: number
  data: { code: string; httpStatus: number; path?: string; authError?: string; retryAfter?: number }
}
export interface TrpcEnvelope {
  result?: { data: unknown }
  error?: TrpcError
}

/** The challenge INTERFACE.md prescribes for an invalid token. */
export const invalidToken = (code: string) =>
  `Bearer realm="warden", error="invalid_token", error_description="${code}"`

/**
 * Registers an account on a server listening at `base` and logs it in with a bearer token, as an
 * HTTP client would; returns the access token.
 *
 * @throws Error when either call is not answered 200
 */
export async function signUpOverHttp(
  base: string,
  credentials: { email: string; password: string },
): Promise<string> {
  const post = async (path: string) => {
    const response = await fetch(`${base}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    })
    if (response.status !== 200) throw new Error(`${path}: ${String(response.status)}`)
    return (await response.json()) as { result: { data: { accessToken?: string } } }
  }
  await post('auth.register')
  const { accessToken } = (await post('auth.login')).result.data
  if (accessToken === undefined) throw new Error('auth.login answered no access token')
  return accessToken
}
