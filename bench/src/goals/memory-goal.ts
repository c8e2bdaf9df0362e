import autocannon from 'autocannon'

import { createBenchKeys, issueTokens } from '../bench-keys.ts'
import { CONNECTIONS, SAMPLE_INTERVAL_MS } from '../load.ts'
import { figure, type Figure } from '../results.ts'
import { startServer, type Runtime, type ServerProcess } from '../server-process.ts'
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
  /** RSS in MB right after each block. */
  readonly rssMbAfterBlock: number[]
  /** Mean RSS in MB during each block, sampled every 100 ms (GC timing makes single samples jump). */
  readonly meanRssMbPerBlock: number[]
  /** Highest RSS seen, sampled every 100 ms during the run. */
  readonly peakRssMb: number
  /** The main heap's live size in MB after each full GC past the first block. */
  readonly liveHeapMbAfterFullGc: number[]
  readonly requests: number
  readonly seconds: number
}

/**
 * Each runtime's log of its garbage collections, turned on for the memory run: Node's
 * `--trace-gc`, and JavaScriptCore's `logGC` option on Bun (`BUN_JSC_logGC=1`).
 */
const gcLog = {
  node: { runtimeFlags: ['--trace-gc'], env: {} },
  bun: { runtimeFlags: [], env: { BUN_JSC_logGC: '1' } },
} as const satisfies Record<Runtime, { runtimeFlags: readonly string[]; env: object }>

/**
 * Reads the heap left after each full collection out of a server log that interleaves the GC
 * log with the request log, once `skipRequests` requests were logged, per heap (the main
 * thread's, and a worker's of its own).
 *
 * - Node: `[pid:0xisolate]  1234 ms: Mark-Compact 80.1 (90.2) -> 44.4 (50.3) MB, …`, one line.
 * - Bun: `[GC<0xheap>: START M 150000kb => FullCollection, …` and, on the same line or on a later
 *   one of the same heap (a concurrent collection logs its phases), `… => 34000kb, p=…`.
 *
 * `result()` is the main heap's sizes in MB: the one with the most full collections.
 */
export function createFullGcReader(runtime: Runtime, skipRequests: number) {
  let requests = 0
  const byHeap = new Map<string, number[]>()
  const add = (heap: string, mb: number) => {
    const sizes = byHeap.get(heap) ?? []
    sizes.push(mb)
    byHeap.set(heap, sizes)
  }
  // Bun: the kind of collection each heap is in, between its START line and its end.
  const collecting = new Map<string, string>()
  const visitNode = (line: string) => {
    if (!line.includes('ms: Mark-Compact')) return
    const heap = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1]
    const after = /-> ([\d.]+) \(/.exec(line)?.[1]
    if (heap !== undefined && after !== undefined) add(heap, Number(after))
  }
  const visitBun = (line: string) => {
    const heap = /^\[GC<(0x[0-9a-f]+)>: /.exec(line)?.[1]
    if (heap === undefined) return
    const kind = /: START \w+ \d+kb => (\w+)Collection/.exec(line)?.[1]
    if (kind !== undefined) collecting.set(heap, kind)
    const after = / => (\d+)kb, p=/.exec(line)?.[1]
    if (after === undefined || !collecting.has(heap)) return
    if (collecting.get(heap) === 'Full') add(heap, round(Number(after) / 1024, 1))
    collecting.delete(heap)
  }
  const visitGc = runtime === 'node' ? visitNode : visitBun
  return {
    visit(line: string) {
      if (line.includes('"message":"request"')) requests++
      else if (requests >= skipRequests) visitGc(line)
    },
    result(): number[] {
      return [...byHeap.values()].sort((a, b) => b.length - a.length)[0] ?? []
    },
  }
}

async function liveHeapAfterFullGcs(server: ServerProcess, skipRequests: number) {
  const reader = createFullGcReader(server.runtime, skipRequests)
  await server.scanLog((line) => reader.visit(line))
  return reader.result()
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
    sampleInt: SAMPLE_INTERVAL_MS,
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
      // Each GC is logged with the heap size after it: the live heap, whatever RSS does.
      env: { ...keys.serverEnv, ...gcLog[runtime].env },
      runtimeFlags: gcLog[runtime].runtimeFlags,
    })
    try {
      let peak = server.rssBytes()
      let samples: number[] = []
      const sampler = setInterval(() => {
        const rss = server.rssBytes()
        peak = Math.max(peak, rss)
        samples.push(rss)
      }, 100)
      const rssMbAfterBlock: number[] = []
      const meanRssMbPerBlock: number[] = []
      let requests = 0
      const started = performance.now()
      try {
        for (const list of lists) {
          samples = []
          requests += await block({
            url: server.url,
            headers: server.headers,
            perConnection: list,
            amount: settings.blockSize,
          })
          const rss = server.rssBytes()
          peak = Math.max(peak, rss)
          rssMbAfterBlock.push(toMb(rss))
          samples.push(rss)
          meanRssMbPerBlock.push(toMb(samples.reduce((a, b) => a + b, 0) / samples.length))
        }
      } finally {
        clearInterval(sampler)
      }
      runs.push({
        runtime,
        rssMbAfterBlock,
        meanRssMbPerBlock,
        peakRssMb: toMb(peak),
        liveHeapMbAfterFullGc: await liveHeapAfterFullGcs(server, settings.blockSize),
        requests,
        seconds: round((performance.now() - started) / 1000, 1),
      })
    } finally {
      await server.stop()
    }
  }
  return runs
}

/**
 * RSS after the last block below 250 MB (the peak for information); flat: the mean RSS during
 * the last block at most 10 % above the mean during the second. The live heap after full GCs
 * shows whether anything accumulates, independently of when the GC runs.
 */
export function memoryFigures(runs: readonly MemoryRun[]): Figure[] {
  return runs.flatMap((run) => {
    const second = run.meanRssMbPerBlock[1] ?? Number.NaN
    const last = run.meanRssMbPerBlock.at(-1) ?? Number.NaN
    const heap = run.liveHeapMbAfterFullGc
    const third = Math.max(1, Math.floor(heap.length / 3))
    const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length
    const figures = [
      figure({
        name: 'RSS after the last block',
        runtime: run.runtime,
        value: run.rssMbAfterBlock.at(-1) ?? Number.NaN,
        unit: 'MB',
        target: { op: '<=', value: 250 },
        detail: {
          requests: run.requests,
          seconds: run.seconds,
          'RSS after each block (MB)': run.rssMbAfterBlock,
        },
      }),
      figure({
        name: 'peak RSS (every 100 ms)',
        runtime: run.runtime,
        value: run.peakRssMb,
        unit: 'MB',
      }),
      figure({
        name: 'mean RSS growth, second block → last block',
        runtime: run.runtime,
        value: round((last - second) / second, 3),
        unit: '× of RSS',
        target: { op: '<=', value: 0.1 },
        detail: { 'mean RSS per block (MB)': run.meanRssMbPerBlock },
      }),
    ]
    // Two full GCs past the first block suffice to compare (the first with the last): with
    // little promoted per request, the collectors run few of them in a run.
    if (heap.length >= 2) {
      figures.push(
        figure({
          name: 'live heap after full GCs, last third / first third',
          runtime: run.runtime,
          value: round(mean(heap.slice(-third)) / mean(heap.slice(0, third)), 3),
          unit: '×',
          detail: { 'live heap after each full collection (MB)': heap },
        }),
      )
    }
    return figures
  })
}
