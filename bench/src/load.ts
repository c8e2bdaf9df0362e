import { Agent, request as httpRequest } from 'node:http'

import autocannon, { type Client, type Request } from 'autocannon'

export const CONNECTIONS = 10

/**
 * autocannon's sampling interval, and so how late a run ends: it checks whether its duration has
 * passed, or its `amount` has been answered, only at each sample. At its default (1 s) a run of
 * 1.2 s went on for 2 s, and one of `amount` idled up to a second after its last answer.
 */
export const SAMPLE_INTERVAL_MS = 100

/** What one closed-loop autocannon run measured. */
export interface ThroughputSample {
  /** Completed requests per second of wall time. */
  readonly rps: number
  readonly requests: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Server CPU time per request answered, when the server's CPU clock was given. */
  readonly cpuUsPerRequest?: number | undefined
}

export interface ThroughputOptions {
  url: string
  path: string
  durationSec: number
  /**
   * One list of `Authorization` values per connection; each connection cycles through its own
   * list (one value: the same token on every request of that connection).
   */
  authorizationPerConnection?: readonly (readonly string[])[] | undefined
  headers?: Record<string, string> | undefined
  /** The server's CPU seconds so far (see `ServerProcess.cpuSeconds`). */
  serverCpuSeconds?: (() => number) | undefined
}

function requestsFor(
  path: string,
  authorizations: readonly string[],
  headers: Record<string, string>,
): Request[] {
  return authorizations.map((authorization) => ({
    method: 'GET',
    path,
    headers: { ...headers, authorization },
  }))
}

/**
 * Closed-loop load: `CONNECTIONS` keep-alive connections, each sending its next request as soon
 * as the previous answer arrives. Any non-2xx answer or connection error fails the run: a fast
 * 401 must never be counted as throughput.
 */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputSample> {
  const perConnection = options.authorizationPerConnection
  let next = 0
  const cpuBefore = options.serverCpuSeconds?.()
  const result = await autocannon({
    url: `${options.url}${options.path}`,
    connections: CONNECTIONS,
    duration: options.durationSec,
    sampleInt: SAMPLE_INTERVAL_MS,
    headers: options.headers ?? {},
    ...(perConnection === undefined
      ? {}
      : {
          setupClient: (client: Client) => {
            const list = perConnection[next++ % perConnection.length]!
            client.setRequests(requestsFor(options.path, list, options.headers ?? {}))
          },
        }),
  })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${options.path}: ${result.non2xx} non-2xx answers and ${result.errors} errors out of ${result.requests.total}`,
    )
  }
  const cpuAfter = options.serverCpuSeconds?.()
  return {
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuUsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : ((cpuAfter - cpuBefore) * 1e6) / result.requests.total,
  }
}

/** Latencies of an open-loop run at a fixed overall rate, from each response's own timing. */
export interface LatencySample {
  readonly requests: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Every response time (ms), sorted. */
  readonly times: readonly number[]
  /** Answers by status code. */
  readonly statuses: Record<string, number>
}

/** The p-th percentile (0–100) of a sorted list, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/**
 * An open-loop probe: sends one GET every `1 / rate` seconds for `durationSec`, each at its own
 * moment whatever the earlier ones became (a slow answer does not delay the next request, so a
 * server that stalls is seen as such), over up to `connections` keep-alive connections, and
 * records each response time to the microsecond, from the moment the request is made to the end
 * of its body (a request waiting for a free connection counts that wait).
 *
 * Not autocannon's `overallRate`: that gives each connection a budget per second, sent back to
 * back from the start of each second, so "200 requests/s" becomes a burst of 10 concurrent
 * closed loops once a second, and the latency it measures is the burst's queueing.
 */
export async function measureLatencyAtRate(options: {
  url: string
  path: string
  rate: number
  durationSec: number
  connections?: number | undefined
  headers?: Record<string, string> | undefined
}): Promise<LatencySample> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections ?? CONNECTIONS })
  const url = new URL(options.path, options.url)
  const times: number[] = []
  const statuses: Record<string, number> = {}
  const errors: Error[] = []
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      const request = httpRequest(url, { agent, headers: options.headers ?? {} }, (response) => {
        response.resume()
        response.once('end', () => {
          times.push(performance.now() - started)
          const status = String(response.statusCode)
          statuses[status] = (statuses[status] ?? 0) + 1
          resolve()
        })
      })
      request.once('error', (error) => {
        errors.push(error)
        resolve()
      })
      request.end()
    })

  const intervalMs = 1000 / options.rate
  const count = Math.round(options.rate * options.durationSec)
  const sent: Promise<void>[] = []
  const start = performance.now()
  try {
    for (let i = 0; i < count; i++) {
      const wait = start + i * intervalMs - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      sent.push(one())
    }
    await Promise.all(sent)
  } finally {
    agent.destroy()
  }
  if (errors.length > 0) {
    throw new Error(`${options.path}: ${errors.length} connection errors (${errors[0]?.message})`)
  }
  times.sort((a, b) => a - b)
  return {
    requests: times.length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    maxMs: times.at(-1) ?? Number.NaN,
    times,
    statuses,
  }
}
