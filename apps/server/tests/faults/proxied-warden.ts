import { createDatabase } from '@warden/db'
import { createTestDatabase, testBackends } from '@warden/db/testing'

import { startTestWarden, type TestWarden } from '../harness.ts'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts'

/** The PostgreSQL-only fault suites say so in their name when they cannot run. */
export const POSTGRES_FAULTS = testBackends().includes('postgres')

/** A Warden whose database connections all go through a proxy the test controls. */
export interface ProxiedWarden extends AsyncDisposable {
  readonly t: TestWarden
  readonly proxy: TcpProxy
  /** A direct connection to the same database, for checking rows while the proxy is cut. */
  readonly direct: Awaited<ReturnType<typeof createTestDatabase>>
  /** Errors the database layer reported outside any query (dropped idle connections…). */
  readonly databaseErrors: unknown[]
}

/**
 * Creates a fresh PostgreSQL database, a proxy in front of it and a Warden whose pool and
 * LISTEN connection go through the proxy, with short timeouts so that faults surface within
 * the bounds the suites assert.
 */
export async function startProxiedWarden(options: {
  statementTimeoutMs: number
  connectionTimeoutMs: number
  poolMax?: number
  env?: Record<string, string>
}): Promise<ProxiedWarden> {
  const direct = await createTestDatabase('postgres', { poolMax: 4 })
  const url = new URL(direct.url)
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || '5432') })
  url.port = String(proxy.port)
  const databaseErrors: unknown[] = []
  const db = await createDatabase({
    url: url.toString(),
    poolMax: options.poolMax ?? 8,
    statementTimeoutMs: options.statementTimeoutMs,
    connectionTimeoutMs: options.connectionTimeoutMs,
    listenReconnectDelayMs: { initial: 50, max: 400 },
    onError: (error) => databaseErrors.push(error),
  })
  const t = await startTestWarden({
    backend: 'postgres',
    database: { ...db, url: url.toString(), [Symbol.asyncDispose]: () => db.close() },
    ...(options.env ? { env: options.env } : {}),
  })
  return {
    t,
    proxy,
    direct,
    databaseErrors,
    async [Symbol.asyncDispose]() {
      proxy.restore()
      await t[Symbol.asyncDispose]()
      await db.close()
      await proxy.close()
      await direct[Symbol.asyncDispose]()
    },
  }
}
