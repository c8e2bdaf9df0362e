import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { ApiServices } from '@warden/api'
import { createManualClock, createPasswordHasher, generateKeySet } from '@warden/auth'
import { createServiceClient } from '@warden/db'
import { createTestDatabase, type TestBackend } from '@warden/db/testing'
import { createLogger, parseConfig, startWarden, type Warden } from '@warden/server'

import { serve } from '../harness/serve.ts'
import type { WardenTarget } from '../harness/target.ts'

/** The server clock's start: a whole second, so its `Date` headers are exact. */
export const REAL_START = Date.UTC(2030, 0, 1, 12, 0, 0)

/** The browser origin the real server is configured to accept (`CORS_ORIGINS`). */
export const ALLOWED_ORIGIN = 'https://app.example.test'

export interface RealWardenOptions {
  readonly backend?: TestBackend
  /** `ACCESS_TOKEN_TTL`, in seconds; short by default so tests expire tokens quickly. */
  readonly accessTokenTtl?: number
  /** `REFRESH_REUSE_INTERVAL`, in seconds. */
  readonly refreshReuseInterval?: number
  /**
   * Runs the server's tRPC calls (everything but `auth.*`) on a second instance over the same
   * database and keys, whose clock is this far ahead of the first one's: a replica with a
   * skewed clock.
   */
  readonly replicaAheadMs?: number
}

/** One line of the server's request log. */
export interface LoggedRequest {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly authError?: string
}

/**
 * The real `apps/server`, behind the client tests' `WardenTarget` interface: `startWarden` on a
 * fresh `@warden/db/testing` database with a manual clock, fast argon2 parameters and captured
 * log lines, served over a real socket on 127.0.0.1.
 */
export interface RealWarden extends WardenTarget {
  readonly warden: Warden
  readonly services: ApiServices
  /** The server's request log, parsed: what the server itself says it answered. */
  loggedRequests(): readonly LoggedRequest[]
}

const testPasswords = () =>
  createPasswordHasher({
    memoryCost: 1024,
    timeCost: 1,
    parallelism: 1,
    unsafeTestParameters: true,
  })

function parseRequestLine(line: string): LoggedRequest | undefined {
  const entry = JSON.parse(line) as Record<string, unknown>
  if (entry['message'] !== 'request') return undefined
  return {
    method: String(entry['method']),
    path: String(entry['path']),
    status: Number(entry['status']),
    ...(typeof entry['authError'] === 'string' ? { authError: entry['authError'] } : {}),
  }
}

/**
 * Builds the migrated PGlite image every test database of this process boots from, which takes
 * seconds on a loaded machine: call it in `beforeAll`, under the hook timeout, so that no test's
 * own timeout pays for it.
 */
export async function prepareRealWarden(): Promise<void> {
  const database = await createTestDatabase('pglite')
  await database[Symbol.asyncDispose]()
}

/**
 * Starts the real server. Served by a `node:http` adapter (`../harness/serve.ts`), not
 * `@hono/node-server`, which is no dependency of this package; the adapter records the traffic
 * and lets faults and gates stand in front of the server, as for the contract server.
 */
export async function startRealWarden(options: RealWardenOptions = {}): Promise<RealWarden> {
  const database = await createTestDatabase(options.backend ?? 'pglite')
  const clock = createManualClock(REAL_START)
  const logLines: string[] = []
  const accessTokenTtl = options.accessTokenTtl ?? 60
  const refreshReuseInterval = options.refreshReuseInterval ?? 10
  const config = parseConfig(
    {
      AUTH_SIGNING_KEYS: JSON.stringify(await generateKeySet('EdDSA')),
      LOG_LEVEL: 'info',
      CORS_ORIGINS: ALLOWED_ORIGIN,
      ACCESS_TOKEN_TTL: String(accessTokenTtl),
      REFRESH_REUSE_INTERVAL: String(refreshReuseInterval),
    },
    { cwd: mkdtempSync(join(tmpdir(), 'warden-client-')) },
  )
  const start = (instanceClock: { now(): number }) =>
    startWarden(config, {
      db: database,
      clock: instanceClock,
      passwords: testPasswords(),
      logger: createLogger({
        level: 'info',
        write: (line) => logLines.push(line),
        now: () => instanceClock.now(),
      }),
      socketAddress: () => '127.0.0.1',
    })
  const warden = await start(clock)
  const replicaAheadMs = options.replicaAheadMs
  const replica =
    replicaAheadMs === undefined
      ? undefined
      : await start({ now: () => clock.now() + replicaAheadMs })

  const http = await serve(async (request) => {
    const onReplica =
      replica !== undefined &&
      new URL(request.url).pathname.startsWith('/trpc/') &&
      !new URL(request.url).pathname.startsWith('/trpc/auth.')
    return (onReplica ? replica : warden).app.fetch(request)
  })

  const close = async () => {
    try {
      await http.close()
      await replica?.close()
      await warden.close()
    } finally {
      await database[Symbol.asyncDispose]()
    }
  }

  return {
    url: http.url,
    tokenUrl: `${http.url}/oauth/token`,
    clock,
    audience: config.audience,
    accessTokenTtlMs: accessTokenTtl * 1000,
    refreshReuseIntervalMs: refreshReuseInterval * 1000,
    allowedOrigin: ALLOWED_ORIGIN,
    traffic: http.traffic,
    warden,
    services: warden.services,
    loggedRequests: () => logLines.map(parseRequestLine).filter((entry) => entry !== undefined),
    // A fault stands for the server: its answers carry the server's Date, as the server's do.
    addFault: (fault) =>
      http.addFault({
        matches: (request) => fault.matches(request),
        respond(request) {
          const response = fault.respond(request)
          response.headers.set('date', new Date(clock.now()).toUTCString())
          return response
        },
      }),
    hold: (matches) => http.hold(matches),
    // What `pnpm warden clients create` does: an argon2id hash of a random secret, shown once.
    async createServiceClient(client) {
      const clientSecret = `wcs_${randomBytes(32).toString('base64url')}`
      const created = await createServiceClient(database.kysely, {
        id: client.clientId,
        secretHash: await warden.services.passwords.hash(clientSecret),
        audiences: client.audiences,
        scopes: client.scope === undefined ? [] : client.scope.split(' '),
        now: new Date(clock.now()),
      })
      if (!created.ok) throw new Error(`Service client ${client.clientId} exists`)
      return { clientId: client.clientId, clientSecret }
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
