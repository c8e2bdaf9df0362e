import { randomBytes } from 'node:crypto'

import { challengeFor, createContractApp } from './contract-app.ts'
import type { ContractRouter } from './contract-router.ts'
import { createManualClock, type ManualClock } from './fake-time.ts'
import { serve, type Fault, type Gate, type RecordedRequest, type Traffic } from './serve.ts'

/**
 * A Warden server under test, as the client tests see it. Everything here is either the public
 * wire contract (URLs, TTLs, the reuse interval) or observed at the HTTP boundary (traffic,
 * faults, gates), so another implementation, the real `apps/server` built around a manual clock,
 * can stand behind the same interface: the tests only talk to `WardenTarget`.
 */
export interface WardenTarget extends AsyncDisposable {
  /** The base URL (`<url>/trpc`, `<url>/oauth/token`). */
  readonly url: string
  readonly tokenUrl: string
  /** The server's clock; tests move it to expire tokens. */
  readonly clock: ManualClock
  readonly audience: string
  readonly accessTokenTtlMs: number
  readonly refreshReuseIntervalMs: number
  /** A browser origin the server accepts for cookie-authenticated mutations. */
  readonly allowedOrigin: string
  /** Every request that reached the server. */
  readonly traffic: Traffic
  /** Answers matching requests itself, before the server sees them. */
  addFault(fault: Fault): () => void
  /** Holds matching responses until released. */
  hold(matches: (request: RecordedRequest) => boolean): Gate
  /** Registers an OAuth client (the CLI's `clients create`) and returns its credentials. */
  createServiceClient(options: {
    readonly clientId: string
    readonly audiences: readonly string[]
    readonly scope?: string
  }): Promise<{ readonly clientId: string; readonly clientSecret: string }>
  close(): Promise<void>
}

/** The router type clients of the target are built with. */
export type TargetRouter = ContractRouter

export interface TargetOptions {
  /** The server clock's start; a whole second, so `Date` headers are exact. */
  readonly start?: number
  readonly accessTokenTtlMs?: number
  readonly refreshReuseIntervalMs?: number
}

export const SERVER_START = Date.UTC(2030, 0, 1, 12, 0, 0)

/** Starts the contract server on 127.0.0.1 with a manual clock. */
export async function startTarget(options: TargetOptions = {}): Promise<WardenTarget> {
  const clock = createManualClock(options.start ?? SERVER_START)
  const allowedOrigin = 'https://app.example.test'
  const config = {
    issuer: 'http://warden.test',
    audience: 'warden-api',
    accessTokenTtlMs: options.accessTokenTtlMs ?? 900_000,
    refreshTokenTtlMs: 7 * 24 * 3600_000,
    refreshReuseIntervalMs: options.refreshReuseIntervalMs ?? 10_000,
    allowedOrigins: [allowedOrigin],
  }
  const app = createContractApp(config, clock)
  const http = await serve((request) => app.fetch(request))
  return {
    url: http.url,
    tokenUrl: `${http.url}/oauth/token`,
    clock,
    audience: config.audience,
    accessTokenTtlMs: config.accessTokenTtlMs,
    refreshReuseIntervalMs: config.refreshReuseIntervalMs,
    allowedOrigin,
    traffic: http.traffic,
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
    createServiceClient(client) {
      const clientSecret = randomBytes(18).toString('base64url')
      app.state.addServiceClient(client.clientId, {
        secret: clientSecret,
        audiences: client.audiences,
        scope: client.scope ?? '',
      })
      return Promise.resolve({ clientId: client.clientId, clientSecret })
    },
    close: () => http.close(),
    [Symbol.asyncDispose]: () => http.close(),
  }
}

/**
 * A fault answering every matching tRPC request with the 401 challenge of `code`, in the wire
 * shape the server uses: one error element per procedure of a batch, `data.authError`, and the
 * `WWW-Authenticate` header. It is server-independent, so it works in front of any target.
 */
export function authFailureFault(
  code: string,
  matches: (request: RecordedRequest) => boolean,
): Fault {
  return {
    matches,
    respond(request) {
      const challenge = challengeFor(code) ?? { status: 401, header: 'Bearer realm="warden"' }
      const element = (path: string) => ({
        error: {
          message: code,
          code: challenge.status === 403 ? -32003 : -32001,
          data: {
            code: challenge.status === 403 ? 'FORBIDDEN' : 'UNAUTHORIZED',
            httpStatus: challenge.status,
            path,
            authError: code,
          },
        },
      })
      const body = request.batch
        ? request.procedures.map(element)
        : element(request.procedures[0] ?? '')
      return Response.json(body, {
        status: challenge.status,
        headers: { 'www-authenticate': challenge.header },
      })
    },
  }
}
