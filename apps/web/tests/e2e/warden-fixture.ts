import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { createUser, findUserByEmail, listActiveFamilies, setUserRoles } from '@warden/db'
import { createLogger, parseConfig, startWarden } from '@warden/server'

/** The built app (the global setup runs `vite build` into it). */
export const WEB_DIST = fileURLToPath(new URL('../../dist', import.meta.url))

export const PASSWORD = 'correct horse battery staple'

/** The access tokens' lifetime on the test server; the clock is moved past it, not waited for. */
export const ACCESS_TOKEN_TTL_S = 60

/** One request as the server answered it. */
export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly origin: string | null
  readonly secFetchSite: string | null
  /** Whether the browser sent the refresh cookie with it. */
  readonly withCookie: boolean
  /** `Set-Cookie` values of the answer. */
  readonly setCookies: readonly string[]
}

type Serve = (
  options: { fetch: (request: Request) => Promise<Response>; hostname: string; port: number },
  listening: (info: AddressInfo) => void,
) => Server

/**
 * `serve` of `@hono/node-server`, the adapter `pnpm start` runs the server on. It is the
 * server's dependency, not this package's, so it is resolved from `@warden/server`.
 */
async function loadServe(): Promise<Serve> {
  const serverEntry = createRequire(import.meta.url).resolve('@warden/server')
  const adapterPath = createRequire(serverEntry).resolve('@hono/node-server')
  const adapter = (await import(pathToFileURL(adapterPath).href)) as {
    serve?: Serve
    default?: { serve?: Serve }
  }
  const serve = adapter.serve ?? adapter.default?.serve
  if (serve === undefined) throw new Error('@hono/node-server exports no serve()')
  return serve
}

/**
 * The server's clock: the real time plus an offset the test moves forward. The browser keeps
 * real time, as it would; the server then finds the access token expired when the test says.
 */
function createTestClock() {
  let offset = 0
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms
    },
  }
}

export type WebWarden = Awaited<ReturnType<typeof startWebWarden>>

/**
 * The real Warden, in process, on PGlite in memory, serving the built web app over
 * `@hono/node-server` on 127.0.0.1 and a free port, with every request recorded as the server
 * answered it. `REFRESH_REUSE_INTERVAL=0`: any refresh token presented twice is taken as theft,
 * so a test that two tabs refreshed once, not twice, cannot pass by the grace period.
 */
export async function startWebWarden(env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'warden-web-e2e-'))
  const clock = createTestClock()
  const logLines: string[] = []
  const config = parseConfig(
    {
      DATABASE_URL: 'memory:',
      WARDEN_WEB_DIR: WEB_DIST,
      ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_S),
      REFRESH_REUSE_INTERVAL: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    { cwd },
  )
  const logger = createLogger({ level: 'warn', write: (line) => logLines.push(line) })
  const warden = await startWarden(config, { clock, logger })
  const requests: SeenRequest[] = []
  const gates: { path: string; waiting: number; open: () => void; opened: Promise<void> }[] = []
  const serve = await loadServe()
  let server: Server | undefined
  const address = await new Promise<AddressInfo>((resolve) => {
    server = serve(
      {
        fetch: async (request) => {
          const path = new URL(request.url).pathname
          const gate = gates.find((candidate) => candidate.path === path && candidate.waiting > 0)
          if (gate !== undefined) {
            if (--gate.waiting === 0) gate.open()
            await gate.opened
          }
          const response = await warden.app.fetch(request)
          requests.push({
            method: request.method,
            path,
            status: response.status,
            origin: request.headers.get('origin'),
            secFetchSite: request.headers.get('sec-fetch-site'),
            withCookie: /(?:^|;\s*)warden_rt=/.test(request.headers.get('cookie') ?? ''),
            setCookies: response.headers.getSetCookie(),
          })
          return response
        },
        hostname: '127.0.0.1',
        port: 0,
      },
      resolve,
    )
  })
  const url = `http://127.0.0.1:${address.port}`
  const { kysely } = warden.services.db

  const userId = async (email: string) => {
    const user = await findUserByEmail(kysely, email)
    if (user === undefined) throw new Error(`no user ${email}`)
    return user.id
  }

  return {
    url,
    warden,
    clock,
    requests,
    logLines,
    /**
     * The requests answered since `from`, on one line (`POST /trpc/auth.refresh 200, …`): the
     * message of an assertion about them, so that a failure says what the server saw.
     */
    trail: (from = 0) =>
      requests
        .slice(from)
        .map((r) => `${r.method} ${r.path} ${String(r.status)}`)
        .join(', '),
    /** The `auth.refresh` calls the server answered since `from` (an index into `requests`). */
    refreshes: (from = 0) => requests.slice(from).filter((r) => r.path === '/trpc/auth.refresh'),
    /**
     * Holds the next `count` requests to `path` until all of them have arrived (at most 10 s),
     * so that calls a test makes "at once" reach the server before any is answered.
     */
    holdUntilArrived(path: string, count: number) {
      let open = (): void => undefined
      const opened = new Promise<void>((resolve) => {
        open = resolve
      })
      setTimeout(open, 10_000).unref()
      gates.push({ path, waiting: count, open, opened })
    },
    /** Moves the server's clock past the access tokens' lifetime. */
    expireAccessTokens() {
      clock.advance((ACCESS_TOKEN_TTL_S + 1) * 1000)
    },
    /** Creates an account as the API's own client would (the browser tests sign in through the UI). */
    async register(email: string) {
      const response = await fetch(`${url}/trpc/auth.register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      })
      if (!response.ok) throw new Error(`register ${email}: ${response.status}`)
    },
    /** Adds a user to `colleague`'s tenant, with the same password (registering makes a tenant). */
    async addToTenantOf(colleague: string, email: string, roles: string[]) {
      const existing = await findUserByEmail(kysely, colleague)
      if (existing === undefined) throw new Error(`no user ${colleague}`)
      const created = await createUser(kysely, {
        email,
        passwordHash: existing.passwordHash,
        tenantId: existing.tenantId,
        roles,
        now: new Date(clock.now()),
      })
      if (!created.ok) throw new Error(`${email}: ${created.reason}`)
    },
    async rolesOf(email: string) {
      return (await findUserByEmail(kysely, email))?.roles
    },
    async setRoles(email: string, roles: string[]) {
      await setUserRoles(kysely, { userId: await userId(email), roles, now: new Date(clock.now()) })
    },
    /** The user's refresh families the server still honours. */
    async activeSessions(email: string) {
      return listActiveFamilies(kysely, { userId: await userId(email), now: new Date(clock.now()) })
    },
    async close() {
      await new Promise<void>((resolve) => {
        if (server === undefined) {
          resolve()
          return
        }
        server.close(() => {
          resolve()
        })
        server.closeAllConnections()
      })
      await warden.close()
      rmSync(cwd, { recursive: true, force: true })
    },
  }
}
