import autocannon from 'autocannon'

import { createBenchKeys, issueTokens } from '../bench-keys.ts'
import { CONNECTIONS } from '../load.ts'
import { figure, type Figure } from '../results.ts'
import { startServer, type Runtime } from '../server-process.ts'
import { round } from '../stats.ts'

export interface MemorySettings {
  runtimes: readonly Runtime[]
  /** The server's `DATABASE_URL` (see `runThroughputServers`). */
  databaseUrl: string
  requests: number
  distinctTokens: number
  /** RSS is sampled after each block of this many requests. */
  blockSize: number
}

export interface MemoryRun {
  readonly runtime: Runtime
  /** RSS in MB after each block. */
  readonly rssMbAfterBlock: number[]
  /** Highest RSS seen, sampled every 100 ms during the run. */
  readonly peakRssMb: number
  readonly requests: number
  readonly seconds: number
}

const MB = 1024 * 1024
const toMb = (bytes: number) => round(bytes / MB, 1)

/** Sends exactly `amount` requests, each connection cycling through its own token list. */
async function block(options: {
  url: string
  headers: Readonly<Record<string, string>>
  perConnection: readonly (readonly string[])[]
  amount: number
}) {
  const { url, headers, perConnection, amount } = options
  let next = 0
  const result = await autocannon({
    url: `${url}/trpc/system.whoami`,
    connections: CONNECTIONS,
    amount,
    setupClient: (client) => {
      const tokens = perConnection[next++ % perConnection.length]!
      client.setRequests(
        tokens.map((token) => ({
          method: 'GET',
          headers: { ...headers, authorization: `Bearer ${token}` },
        })),
      )
    },
  })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`memory run: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  }
  return result.requests.total
}

/**
 * Goal 6: `requests` protected requests over `distinctTokens` tokens issued directly with the
 * token service (HS256), RSS read from `/proc/<pid>/status` after every block. Each block has
 * its own tokens (distinctTokens / blocks of them), and each is used `requests / distinctTokens`
 * times within its block, as a client uses its token until it expires: the first use of a token
 * is a cache miss (full verification, insertion, and past 10,000 entries an eviction), the next
 * ones are hits. Over the run the cache turns over its 10,000 entries ten times.
 */
export async function runMemory(settings: MemorySettings): Promise<MemoryRun[]> {
  const keys = await createBenchKeys('HS256')
  const tokens = await issueTokens(keys, settings.distinctTokens)
  const blocks = Math.ceil(settings.requests / settings.blockSize)
  const perBlock = Math.floor(settings.distinctTokens / blocks)
  const perConnection = Math.floor(perBlock / CONNECTIONS)
  const lists = Array.from({ length: blocks }, (_, b) =>
    Array.from({ length: CONNECTIONS }, (_, c) => {
      const start = b * perBlock + c * perConnection
      return tokens.slice(start, start + perConnection)
    }),
  )
  const runs: MemoryRun[] = []
  for (const runtime of settings.runtimes) {
    const server = await startServer({
      runtime,
      databaseUrl: settings.databaseUrl,
      env: keys.serverEnv,
    })
    try {
      let peak = server.rssBytes()
      const sampler = setInterval(() => {
        peak = Math.max(peak, server.rssBytes())
      }, 100)
      const rssMbAfterBlock: number[] = []
      let requests = 0
      const started = performance.now()
      try {
        for (const list of lists) {
          requests += await block({
            url: server.url,
            headers: server.headers,
            perConnection: list,
            amount: settings.blockSize,
          })
          const rss = server.rssBytes()
          peak = Math.max(peak, rss)
          rssMbAfterBlock.push(toMb(rss))
        }
      } finally {
        clearInterval(sampler)
      }
      runs.push({
        runtime,
        rssMbAfterBlock,
        peakRssMb: toMb(peak),
        requests,
        seconds: round((performance.now() - started) / 1000, 1),
      })
    } finally {
      await server.stop()
    }
  }
  return runs
}

/** Largest RSS below 250 MB; growth from the second block to the last at most 10 %. */
export function memoryFigures(runs: readonly MemoryRun[]): Figure[] {
  return runs.flatMap((run) => {
    const second = run.rssMbAfterBlock[1] ?? Number.NaN
    const last = run.rssMbAfterBlock.at(-1) ?? Number.NaN
    const detail = {
      requests: run.requests,
      seconds: run.seconds,
      'RSS after each block (MB)': run.rssMbAfterBlock,
    }
    return [
      figure({
        name: 'peak RSS',
        runtime: run.runtime,
        value: run.peakRssMb,
        unit: 'MB',
        target: { op: '<=', value: 250 },
        detail,
      }),
      figure({
        name: 'RSS growth, second block → last block',
        runtime: run.runtime,
        value: round((last - second) / second, 3),
        unit: '× of RSS',
        target: { op: '<=', value: 0.1 },
        detail: { second, last },
      }),
    ]
  })
}
