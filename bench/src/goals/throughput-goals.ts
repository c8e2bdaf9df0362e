import type { SigningAlgorithm } from '@warden/auth'

import { createBenchKeys, issueTokens } from '../bench-keys.ts'
import { splitCpus } from '../cpu-affinity.ts'
import { CONNECTIONS, measureThroughput } from '../load.ts'
import { figure, type Figure, type Target } from '../results.ts'
import { startServer, type Runtime } from '../server-process.ts'
import { alternate, median, medians, round } from '../stats.ts'

export const PROTECTED_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'HS256']

/**
 * `infoToken` is a control: `system.info` sent with the same `Authorization` header as `whoami`
 * (a public procedure only checks its syntax), so that the cost of carrying a bearer token over
 * HTTP can be told apart from the cost of verifying it.
 */
type Side = 'health' | 'info' | 'infoToken' | 'whoami' | 'infoBesideMisses' | 'whoamiMiss'

const PATHS: Record<Side, string> = {
  health: '/health',
  info: '/trpc/system.info',
  infoToken: '/trpc/system.info',
  whoami: '/trpc/system.whoami',
  infoBesideMisses: '/trpc/system.info',
  whoamiMiss: '/trpc/system.whoami',
}

export interface ThroughputSettings {
  runtimes: readonly Runtime[]
  /**
   * The server's `DATABASE_URL`: a fresh PostgreSQL database when one answers (production's
   * setup; embedded PGlite alone adds hundreds of MB to the process), else `memory:`.
   */
  databaseUrl: string
  /** Distinct tokens of the all-miss runs; more than the cache's 10,000. */
  missTokens: number
  /**
   * Seconds of unrecorded load per server before the measured rounds, its sides alternated (see
   * `runThroughputServers`), by runtime: the same for every server of a runtime, whatever its
   * number of sides.
   */
  warmupSec: Readonly<Record<Runtime, number>>
  /** The same before the all-miss phase. */
  missWarmupSec: number
  /** Default: EdDSA, ES256 and HS256. */
  algorithms?: readonly SigningAlgorithm[] | undefined
  durationSec: number
  rounds: number
  /** Rounds of the all-miss phase (see `runThroughputServers`). */
  missRounds: number
}

/** Requests per second of each side on one server, sides alternated, median per side. */
export interface ServerRun {
  readonly runtime: Runtime
  readonly alg: SigningAlgorithm
  readonly rps: Partial<Record<Side, number>>
  readonly samples: Partial<Record<Side, number[]>>
  /** Server CPU microseconds per request (all threads, user + system), median per side. */
  readonly cpuUs: Partial<Record<Side, number>>
  /** Request log lines written during the measured runs, against the requests answered. */
  readonly logLines: number
  readonly requests: number
  /** The CPUs of the server and of the load generator; undefined when they could not be split. */
  readonly cpus: { server: string; load: string } | undefined
}

/**
 * Goals 1 and 2 on one server per runtime and algorithm: `/health` (EdDSA server only),
 * `system.info`, `system.whoami` with one token per connection (cache hits after the first
 * request), alternated; then, on the same server, `system.whoami` with a fresh token on every
 * request (all cache misses) alternated with `system.info` again. The all-miss phase comes last
 * because it fills the heap with evicted cache entries whose collection would otherwise land in
 * whichever round of the goals' sides follows it.
 */
export async function runThroughputServers(settings: ThroughputSettings): Promise<ServerRun[]> {
  const runs: ServerRun[] = []
  for (const alg of settings.algorithms ?? PROTECTED_ALGORITHMS) {
    const keys = await createBenchKeys(alg)
    const hitTokens = await issueTokens(keys, CONNECTIONS)
    const missTokens = await issueTokens(keys, settings.missTokens)
    const perConnection = Math.floor(settings.missTokens / CONNECTIONS)
    const hits = hitTokens.map((token) => [`Bearer ${token}`])
    const authorization: Partial<Record<Side, string[][]>> = {
      whoami: hits,
      infoToken: hits,
      whoamiMiss: Array.from({ length: CONNECTIONS }, (_, i) =>
        missTokens.slice(i * perConnection, (i + 1) * perConnection).map((t) => `Bearer ${t}`),
      ),
    }
    const sides: Side[] =
      alg === 'EdDSA' ? ['health', 'info', 'infoToken', 'whoami'] : ['info', 'whoami']
    const missSides: Side[] = ['infoBesideMisses', 'whoamiMiss']
    for (const runtime of settings.runtimes) {
      const server = await startServer({
        runtime,
        databaseUrl: settings.databaseUrl,
        env: keys.serverEnv,
      })
      const split = splitCpus(server.pid)
      try {
        const load = (side: Side, durationSec: number) =>
          measureThroughput({
            url: server.url,
            path: PATHS[side],
            durationSec,
            authorizationPerConnection: authorization[side],
            headers: server.headers,
            serverCpuSeconds: () => server.cpuSeconds(),
          })
        // Warm-up, not recorded: JIT tiers, heap sizing, caches, connections. Two alternated
        // rounds of the sides, the same time for every server of a runtime (the servers with two
        // sides used to get half of what the four-sided one got). A Bun server gets longer: pinned
        // to one CPU under load, its throughput rose in steps for up to ~20 s (EdDSA: 48–51k
        // req/s of `system.info` until 18 s, 57–61k after, `whoami` alike), so a shorter warm-up
        // put the step inside the measured rounds.
        const warmUp = async (warmSides: readonly Side[], totalSec: number) => {
          const slice = totalSec / (2 * warmSides.length)
          for (let round = 0; round < 2; round++) {
            for (const side of warmSides) await load(side, slice)
          }
        }
        await warmUp(sides, settings.warmupSec[runtime])
        const linesBefore = server.countLogLines()
        let requests = 0
        const cpuSamples: Partial<Record<Side, number[]>> = {}
        const measure = async (side: Side) => {
          const sample = await load(side, settings.durationSec)
          requests += sample.requests
          ;(cpuSamples[side] ??= []).push(sample.cpuUsPerRequest ?? Number.NaN)
          return sample.rps
        }
        const goalSamples = await alternate(sides, settings.rounds, measure)
        await warmUp(missSides, settings.missWarmupSec)
        const samples = {
          ...goalSamples,
          ...(await alternate(missSides, settings.missRounds, measure)),
        }
        // Let the server write its last batch of log lines.
        await new Promise((resolve) => setTimeout(resolve, 200))
        runs.push({
          runtime,
          alg,
          rps: medians(samples),
          samples,
          cpuUs: Object.fromEntries(
            Object.entries(cpuSamples).map(([side, values]) => [side, round(median(values), 1)]),
          ),
          logLines: server.countLogLines() - linesBefore,
          requests,
          cpus: split && { server: split.server, load: split.load },
        })
      } finally {
        split?.restore()
        await server.stop()
      }
    }
  }
  return runs
}

function ratioDetail(run: ServerRun, top: Side, bottom: Side) {
  const topCpu = run.cpuUs[top] ?? Number.NaN
  const bottomCpu = run.cpuUs[bottom] ?? Number.NaN
  return {
    [`${top} req/s`]: Math.round(run.rps[top] ?? Number.NaN),
    [`${bottom} req/s`]: Math.round(run.rps[bottom] ?? Number.NaN),
    'req/s samples': Object.fromEntries(
      [top, bottom].map((side) => [side, (run.samples[side] ?? []).map(Math.round)]),
    ),
    [`${top} server CPU µs/request`]: topCpu,
    [`${bottom} server CPU µs/request`]: bottomCpu,
  }
}

/** A ratio as two figures: of wall-clock requests/s, and of requests per server CPU-second. */
function ratioFigures(options: {
  run: ServerRun
  top: Side
  bottom: Side
  name: string
  target?: Target | undefined
}): Figure[] {
  const { run, top, bottom, name, target } = options
  const detail = ratioDetail(run, top, bottom)
  return [
    figure({
      name,
      runtime: run.runtime,
      value: round((run.rps[top] ?? Number.NaN) / (run.rps[bottom] ?? Number.NaN)),
      unit: '× req/s',
      target,
      detail,
    }),
    figure({
      name: `${name} (by server CPU)`,
      runtime: run.runtime,
      value: round((run.cpuUs[bottom] ?? Number.NaN) / (run.cpuUs[top] ?? Number.NaN)),
      unit: '× req/CPU-s',
      target,
    }),
  ]
}

/** Goal 1: `system.whoami` ≥ 0.9× `system.info` with cache hits; the all-miss case for information. */
export function protectedFigures(runs: readonly ServerRun[]): Figure[] {
  return runs.flatMap((run) => [
    ...(run.rps.infoToken === undefined
      ? []
      : ratioFigures({
          run,
          top: 'infoToken',
          bottom: 'info',
          name: 'control: info with the same Authorization header / info',
        })),
    ...ratioFigures({
      run,
      top: 'whoami',
      bottom: 'info',
      name: `whoami / info, ${run.alg}, cache hits`,
      target: { op: '>=', value: 0.9 },
    }),
    ...ratioFigures({
      run,
      top: 'whoamiMiss',
      bottom: 'infoBesideMisses',
      name: `whoami / info, ${run.alg}, every request a cache miss`,
    }),
  ])
}

/** Goal 2: `system.info` ≥ 0.4× `/health` (the goal is Node's; Bun is shown beside it). */
export function hostingFigures(runs: readonly ServerRun[]): Figure[] {
  return runs
    .filter((run) => run.rps.health !== undefined)
    .flatMap((run) =>
      ratioFigures({
        run,
        top: 'info',
        bottom: 'health',
        name: 'system.info / GET /health',
        target: run.runtime === 'node' ? { op: '>=', value: 0.4 } : undefined,
      }),
    )
}

/** One request log line per request answered: logging stayed on during the measurement. */
export function loggingFigures(runs: readonly ServerRun[]): Figure[] {
  return runs.map((run) =>
    figure({
      name: `request log lines / requests answered, ${run.alg} server`,
      runtime: run.runtime,
      value: round(run.logLines / run.requests),
      unit: '×',
      target: { op: '>=', value: 1 },
      detail: { logLines: run.logLines, requests: run.requests },
    }),
  )
}
