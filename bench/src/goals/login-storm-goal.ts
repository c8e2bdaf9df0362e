import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { createBenchKeys, issueTokens } from '../bench-keys.ts'
import { measureContention, processCpuSeconds, type Contention } from '../cpu-contention.ts'
import { measureLatencyAtRate, percentile, type LatencySample } from '../load.ts'
import { figure, type Figure } from '../results.ts'
import { startServer, type Runtime, type ServerProcess } from '../server-process.ts'
import { median, round } from '../stats.ts'

export interface StormSettings {
  runtimes: readonly Runtime[]
  /** The server's `DATABASE_URL`: a fresh PostgreSQL database, or `memory:` (PGlite). */
  databaseUrl: string
  /** `system.whoami` requests per second, during and outside the storm. */
  rate: number
  durationSec: number
  rounds: number
  /** Logins in flight at once. */
  concurrentLogins: number
}

/** Logins sent during the storms, by answer. */
export interface LoginOutcomes {
  readonly total: number
  readonly byStatus: Record<string, number>
  /** Slowest answer per status, ms. */
  readonly maxMsByStatus: Record<string, number>
  /** Requests that got no answer at all (connection error or 30 s timeout). */
  readonly failed: number
}

export interface StormRun {
  readonly runtime: Runtime
  /** Warden's server, or the floor: a bare HTTP server with the same password hasher. */
  readonly server: 'warden' | 'floor'
  /** `distinct`: every login from its own `X-Forwarded-For` IP; `single`: all from one IP. */
  readonly ips: 'distinct' | 'single'
  /** p99 of every response time at rest / in the storms, all rounds pooled. */
  readonly pooledRestP99Ms: number
  readonly pooledStormP99Ms: number
  /** p99 of each round. */
  readonly restP99Ms: number[]
  readonly stormP99Ms: number[]
  readonly restP50Ms: number[]
  readonly stormP50Ms: number[]
  /**
   * p99 of the same requests' time inside the server, from its request log (`ms`: from its first
   * middleware to the answer handed to the runtime), at rest / in the storms, the rounds pooled;
   * undefined without such lines. The rest of a response time is spent before the handler runs
   * (the request waits for the event loop) or after (writing, the probe's own delays).
   */
  readonly handlerRestP99Ms: number | undefined
  readonly handlerStormP99Ms: number | undefined
  readonly whoamiNon200: number
  /** Cores the server process kept busy (CPU seconds per second, all threads), per window. */
  readonly restCores: number[]
  readonly stormCores: number[]
  /** Cores the storm process kept busy, per storm. */
  readonly stormProcessCores: number[]
  /** The scheduler's view of each window (see `measureContention`); none where Linux gives none. */
  readonly restContention: readonly (Contention | undefined)[]
  readonly stormContention: readonly (Contention | undefined)[]
  readonly logins: LoginOutcomes
}

/** The storm process's nice value: the lowest priority (see `startStorm`). */
export const STORM_NICE = 19

const WHOAMI = '/trpc/system.whoami'

const email = (runtime: Runtime) => `storm-${runtime}@bench.warden.test`
const PASSWORD = 'correct horse battery staple 1987'

async function post(url: string, body: unknown, headers: Readonly<Record<string, string>>) {
  return fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
}

/** What the storm process needs (see `login-storm-worker.ts`). */
export interface StormWorkerData {
  readonly url: string
  /** Headers every request carries (see `ServerProcess.headers`). */
  readonly headers: Readonly<Record<string, string>>
  readonly email: string
  readonly password: string
  readonly concurrentLogins: number
  readonly ips: 'distinct' | 'single'
  /** First distinct address of this storm, so that no two storms share one. */
  readonly ipOffset: number
}

/**
 * Starts the storm in its own process; `cpuSeconds()` is what that process has used so far,
 * `stop()` ends it once the logins in flight are answered.
 */
function startStorm(data: StormWorkerData): {
  cpuSeconds: () => number
  stop: () => Promise<LoginOutcomes>
} {
  // A process of its own, running TypeScript through tsx's loader as the bench itself does. The
  // storm stands for clients on other machines: on this shared 2-core machine it takes only the
  // CPU that the server and the latency probe leave, instead of taking turns with them as an
  // equal. `nice` starts it at the lowest priority with every thread it will have (renicing it
  // once started reached only its main thread); the probe and the server keep nice 0.
  const child = fork(fileURLToPath(new URL('./login-storm-worker.ts', import.meta.url)), [], {
    execPath: 'nice',
    execArgv: ['-n', String(STORM_NICE), process.execPath, '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const outcomes = new Promise<LoginOutcomes>((resolve, reject) => {
    child.once('message', (message) => resolve(message as LoginOutcomes))
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the storm process exited with ${code}`)))
  })
  child.send(data)
  return {
    cpuSeconds: () => (child.pid === undefined ? 0 : processCpuSeconds(child.pid)),
    stop() {
      child.send('stop')
      return outcomes
    },
  }
}

/** What one server answered in the alternated rest and storm windows of one kind of storm. */
interface Windows {
  rest: LatencySample[]
  storm: LatencySample[]
  logins: LoginOutcomes[]
  restCores: number[]
  stormCores: number[]
  stormProcessCores: number[]
  restContention: (Contention | undefined)[]
  stormContention: (Contention | undefined)[]
  restSpans: Span[]
  stormSpans: Span[]
}

/**
 * Alternates `settings.rounds` times: `system.whoami` at rest, then while a storm runs, with
 * each window's scheduler figures and the cores the server and the storm kept busy.
 */
async function alternate(
  server: ServerProcess,
  settings: StormSettings,
  storm: Omit<StormWorkerData, 'url' | 'headers' | 'concurrentLogins' | 'ipOffset'>,
  nextIpOffset: () => number,
  token: string,
): Promise<Windows> {
  const whoami = () => probeWhoami(server, token, settings.rate, settings.durationSec)
  const windows: Windows = {
    rest: [],
    storm: [],
    logins: [],
    restCores: [],
    stormCores: [],
    stormProcessCores: [],
    restContention: [],
    stormContention: [],
    restSpans: [],
    stormSpans: [],
  }
  /** Runs one window; records its span, its contention and the cores each process kept busy. */
  const measure = async (
    spans: Span[],
    contention: (Contention | undefined)[],
    processes: readonly { cpuSeconds: () => number; cores: number[] }[],
  ) => {
    const from = Date.now()
    const cpu = processes.map((p) => p.cpuSeconds())
    const measured = await measureContention(server.pid, whoami)
    processes.forEach((p, i) => {
      p.cores.push(round((p.cpuSeconds() - (cpu[i] ?? 0)) / measured.seconds, 2))
    })
    contention.push(measured.contention)
    spans.push({ from, to: Date.now() })
    return measured.result
  }
  const serverCpu = () => server.cpuSeconds()
  for (let done = 0; done < settings.rounds; done++) {
    windows.rest.push(
      await measure(windows.restSpans, windows.restContention, [
        { cpuSeconds: serverCpu, cores: windows.restCores },
      ]),
    )
    const running = startStorm({
      ...storm,
      url: server.url,
      headers: server.headers,
      concurrentLogins: settings.concurrentLogins,
      ipOffset: nextIpOffset(),
    })
    windows.storm.push(
      await measure(windows.stormSpans, windows.stormContention, [
        { cpuSeconds: serverCpu, cores: windows.stormCores },
        { cpuSeconds: running.cpuSeconds, cores: windows.stormProcessCores },
      ]),
    )
    windows.logins.push(await running.stop())
  }
  return windows
}

function stormRun(
  server: ServerProcess,
  kind: StormRun['server'],
  ips: StormRun['ips'],
  windows: Windows,
  handlerP99: (spans: readonly Span[]) => number | undefined,
): StormRun {
  const { rest, storm } = windows
  return {
    runtime: server.runtime,
    server: kind,
    ips,
    pooledRestP99Ms: round(pooledP99(rest), 2),
    pooledStormP99Ms: round(pooledP99(storm), 2),
    restP99Ms: rest.map((r) => round(r.p99Ms, 2)),
    stormP99Ms: storm.map((r) => round(r.p99Ms, 2)),
    restP50Ms: rest.map((r) => round(r.p50Ms, 2)),
    stormP50Ms: storm.map((r) => round(r.p50Ms, 2)),
    handlerRestP99Ms: handlerP99(windows.restSpans),
    handlerStormP99Ms: handlerP99(windows.stormSpans),
    restCores: windows.restCores,
    stormCores: windows.stormCores,
    stormProcessCores: windows.stormProcessCores,
    restContention: windows.restContention,
    stormContention: windows.stormContention,
    whoamiNon200: [...rest, ...storm].reduce(
      (sum, r) => sum + r.requests - (r.statuses['200'] ?? 0),
      0,
    ),
    logins: mergeOutcomes(windows.logins),
  }
}

/**
 * Goal 5: the p99 latency of `system.whoami`, driven at a fixed modest rate, at rest and during a
 * storm of concurrent logins, alternated (rest, storm, rest, storm…). Logins come from distinct
 * `X-Forwarded-For` IPs (`TRUST_PROXY=true`), so only the password hasher's bounded queue limits
 * them, and then all from one IP, where the per-IP login queue answers most with 429 at once.
 * Then the same with distinct IPs against the floor (`storm-floor-server.ts`) on the same
 * runtime: what the storm does to the probe on this machine without Warden's code.
 */
export async function runLoginStorm(settings: StormSettings): Promise<StormRun[]> {
  const keys = await createBenchKeys('EdDSA')
  const [token] = await issueTokens(keys, 1)
  if (token === undefined) throw new Error('no token issued')
  const runs: StormRun[] = []
  let storms = 0
  const nextIpOffset = () => 100_000 * storms++
  for (const runtime of settings.runtimes) {
    const server = await startServer({
      runtime,
      databaseUrl: settings.databaseUrl,
      env: { ...keys.serverEnv, TRUST_PROXY: 'true' },
    })
    const credentials = { email: email(runtime), password: PASSWORD }
    try {
      const registered = await post(`${server.url}/trpc/auth.register`, credentials, server.headers)
      if (registered.status !== 200) {
        throw new Error(`registration failed: ${registered.status} ${await registered.text()}`)
      }
      await probeWhoami(server, token, settings.rate, WARM_UP_SEC)
      await post(`${server.url}/trpc/auth.login`, credentials, server.headers)

      for (const ips of ['distinct', 'single'] as const) {
        const windows = await alternate(
          server,
          settings,
          { ...credentials, ips },
          nextIpOffset,
          token,
        )
        // The server writes its log in batches within milliseconds; the storm's last logins
        // have been answered, so every whoami line of these windows is in the file.
        const lines: string[] = []
        await server.scanLog((line) => {
          if (line.includes(WHOAMI)) lines.push(line)
        })
        runs.push(
          stormRun(server, 'warden', ips, windows, (spans) => {
            const times = handlerTimes(lines, WHOAMI, spans)
            return times.length === 0 ? undefined : round(p99(times), 2)
          }),
        )
      }
    } finally {
      await server.stop()
    }

    const floor = await startServer({
      runtime,
      program: 'storm floor',
      databaseUrl: 'memory:',
      env: { STORM_PASSWORD: PASSWORD },
    })
    try {
      await probeWhoami(floor, token, settings.rate, WARM_UP_SEC)
      const ips = 'distinct'
      const windows = await alternate(floor, settings, { ...credentials, ips }, nextIpOffset, token)
      runs.push(stormRun(floor, 'floor', ips, windows, () => undefined))
    } finally {
      await floor.stop()
    }
  }
  return runs
}

/** `system.whoami` with `token`, at `rate` requests/s for `durationSec` (the latency probe). */
function probeWhoami(server: ServerProcess, token: string, rate: number, durationSec: number) {
  return measureLatencyAtRate({
    url: server.url,
    path: WHOAMI,
    rate,
    durationSec,
    headers: { ...server.headers, authorization: `Bearer ${token}` },
  })
}

// Before measuring a server: JIT (the first seconds of a Node server answer slower), connections.
const WARM_UP_SEC = 3

/** A stretch of wall-clock time, `Date.now()` milliseconds, both ends included. */
export interface Span {
  readonly from: number
  readonly to: number
}

/**
 * The handler times (`ms`) of the server's request log lines for `path` whose `time` falls in
 * one of `spans`, all together. Log lines are written when the answer is, so a request belongs
 * to the window during which it was answered. Lines that are not request lines are skipped.
 */
export function handlerTimes(lines: readonly string[], path: string, spans: readonly Span[]) {
  const times: number[] = []
  for (const line of lines) {
    if (!line.includes(path)) continue
    let entry: { message?: unknown; path?: unknown; time?: unknown; ms?: unknown }
    try {
      entry = JSON.parse(line) as typeof entry
    } catch {
      continue
    }
    if (entry.message !== 'request' || entry.path !== path) continue
    if (typeof entry.time !== 'string' || typeof entry.ms !== 'number') continue
    const at = Date.parse(entry.time)
    if (spans.some((span) => at >= span.from && at <= span.to)) times.push(entry.ms)
  }
  return times
}

const p99 = (times: readonly number[]) =>
  percentile(
    [...times].sort((a, b) => a - b),
    99,
  )

function pooledP99(samples: readonly LatencySample[]): number {
  return p99(samples.flatMap((sample) => sample.times))
}

function mergeOutcomes(all: readonly LoginOutcomes[]): LoginOutcomes {
  const byStatus: Record<string, number> = {}
  const maxMsByStatus: Record<string, number> = {}
  for (const outcome of all) {
    for (const [status, count] of Object.entries(outcome.byStatus)) {
      byStatus[status] = (byStatus[status] ?? 0) + count
    }
    for (const [status, ms] of Object.entries(outcome.maxMsByStatus)) {
      maxMsByStatus[status] = Math.max(maxMsByStatus[status] ?? 0, ms)
    }
  }
  return {
    total: all.reduce((sum, o) => sum + o.total, 0),
    byStatus,
    maxMsByStatus,
    failed: all.reduce((sum, o) => sum + o.failed, 0),
  }
}

/**
 * p99 during the storms within 3× p99 at rest, each of every response time of its rounds pooled
 * (a p99 of one short window rests on a handful of answers); every login answered.
 */
export function stormFigures(runs: readonly StormRun[]): Figure[] {
  return runs.flatMap((run) => {
    const rest = run.pooledRestP99Ms
    const storm = run.pooledStormP99Ms
    const label = ipsLabel(run)
    const ratio = figure({
      name:
        run.server === 'floor'
          ? `floor: a bare HTTP server with the same password hasher, p99 during the storm / at rest, ${label}`
          : `whoami p99 during the login storm / at rest, ${label}`,
      runtime: run.runtime,
      value: round(storm / rest, 2),
      unit: '×',
      // The floor is not held to the goal: it shows what the goal asks of this machine.
      target: run.server === 'floor' ? undefined : { op: '<=', value: 3 },
      detail: {
        'p99 at rest, pooled (ms)': rest,
        'p99 in storm, pooled (ms)': storm,
        'p99 at rest per round (ms)': run.restP99Ms,
        'p99 in storm per round (ms)': run.stormP99Ms,
        'p50 at rest (ms)': run.restP50Ms,
        'p50 in storm (ms)': run.stormP50Ms,
        ...(run.handlerRestP99Ms !== undefined && run.handlerStormP99Ms !== undefined
          ? {
              'p99 inside the server at rest, pooled (ms)': run.handlerRestP99Ms,
              'p99 inside the server in storm, pooled (ms)': run.handlerStormP99Ms,
            }
          : {}),
        'whoami answers other than 200': run.whoamiNon200,
        'server cores busy at rest': run.restCores,
        'server cores busy in storm': run.stormCores,
        'storm process cores busy': run.stormProcessCores,
        ...contentionDetail('at rest', run.restContention),
        ...contentionDetail('in storm', run.stormContention),
        ...(run.server === 'floor' ? { 'logins by answer': run.logins.byStatus } : {}),
      },
    })
    if (run.server === 'floor') return [ratio]
    return [
      ratio,
      figure({
        name: `logins without an answer, ${label}`,
        runtime: run.runtime,
        value: run.logins.failed,
        unit: 'requests',
        target: { op: '<=', value: 0 },
        detail: { ...run.logins },
      }),
    ]
  })
}

const ipsLabel = (run: StormRun) => (run.ips === 'distinct' ? 'distinct IPs' : 'one IP')

/** Where a run's logins came from, and whether it ran against the floor. */
export const stormRunLabel = (run: StormRun) =>
  run.server === 'floor' ? `${ipsLabel(run)}, the floor` : ipsLabel(run)

/**
 * Warden against the floor, per runtime, with logins from distinct IPs: both p99s, both ratios,
 * and what Warden adds to the p99 in the storm. Undefined without a floor run.
 */
export function floorComparison(runs: readonly StormRun[]): string | undefined {
  const pairs = runs.flatMap((floor) => {
    if (floor.server !== 'floor') return []
    const warden = runs.find(
      (r) => r.server === 'warden' && r.runtime === floor.runtime && r.ips === floor.ips,
    )
    return warden === undefined ? [] : [{ warden, floor }]
  })
  if (pairs.length === 0) return undefined
  const ratio = (run: StormRun) => round(run.pooledStormP99Ms / run.pooledRestP99Ms, 2)
  return `Against the floor (logins from ${ipsLabel(pairs[0]!.floor)}, p99 at rest → in the storm): ${pairs
    .map(
      ({ warden, floor }) =>
        `${warden.runtime}: Warden ${warden.pooledRestP99Ms} → ${warden.pooledStormP99Ms} ms (${ratio(warden)}×), the floor ${floor.pooledRestP99Ms} → ${floor.pooledStormP99Ms} ms (${ratio(floor)}×), so Warden's p99 in the storm is ${signedMs(warden.pooledStormP99Ms - floor.pooledStormP99Ms)} ms from the floor's`,
    )
    .join('; ')}.`
}

const signedMs = (ms: number) => `${ms >= 0 ? '+' : '−'}${round(Math.abs(ms), 2)}`

/** The per-window scheduler figures of `measureContention`, for a figure's detail. */
function contentionDetail(
  when: string,
  windows: readonly (Contention | undefined)[],
): Record<string, number[]> {
  const seen = windows.filter((w): w is Contention => w !== undefined)
  if (seen.length === 0) return {}
  return {
    [`server main thread run-queue wait ${when} (ms/s)`]: seen.map((w) => w.serverWaitMsPerSec),
    [`server main thread running ${when} (ms/s)`]: seen.map((w) => w.serverRunMsPerSec),
    [`probe run-queue wait ${when} (ms/s)`]: seen.map((w) => w.probeWaitMsPerSec),
    [`all CPUs busy ${when} (share)`]: seen.map((w) => w.machineBusy),
  }
}

/**
 * Where the storm's latency goes, per run: the medians over the rounds of the scheduler's
 * figures at rest → in the storm, as a Markdown table; undefined where Linux gave none.
 */
export function contentionTable(runs: readonly StormRun[]): string | undefined {
  const rows = runs.flatMap((run) => {
    const rest = run.restContention.filter((w): w is Contention => w !== undefined)
    const storm = run.stormContention.filter((w): w is Contention => w !== undefined)
    if (rest.length === 0 || storm.length === 0) return []
    const pair = (pick: (w: Contention) => number, digits = 0) =>
      `${round(median(rest.map(pick)), digits)} → ${round(median(storm.map(pick)), digits)}`
    const label = stormRunLabel(run)
    const handler =
      run.handlerRestP99Ms === undefined || run.handlerStormP99Ms === undefined
        ? '–'
        : `${run.handlerRestP99Ms} → ${run.handlerStormP99Ms}`
    return [
      `| ${run.runtime}, ${label} | ${run.pooledRestP99Ms} → ${run.pooledStormP99Ms} | ${handler} | ${pair((w) => w.serverRunMsPerSec)} | ${pair((w) => w.serverWaitMsPerSec)} | ${pair((w) => w.probeWaitMsPerSec)} | ${pair((w) => w.machineBusy, 2)} | ${round(median(run.stormProcessCores), 2)} |`,
    ]
  })
  if (rows.length === 0) return undefined
  return [
    '| runtime, logins from | whoami p99, ms | of which inside the server: p99, ms | server main thread running, ms/s | server main thread ready but waiting for a CPU, ms/s | probe waiting for a CPU, ms/s | all CPUs busy (share) | storm process, cores |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n')
}
