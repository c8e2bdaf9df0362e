/**
 * `pnpm bench`: every benchmark of the workspace, and the record of the run.
 *
 * 1. `@warden/auth`'s verify benchmark (goal 3) and `@warden/db`'s rotation benchmark on
 *    PostgreSQL (goal 4), run through their own `bench` scripts; their JSON reports are imported.
 * 2. HTTP benchmarks against the real server entries (on Node the build `pnpm start` runs,
 *    `dist/main.node.js`, rebuilt from the sources first; `main.bun.ts` under the Bun binary),
 *    each server in its own process on 127.0.0.1 with a random port and
 *    `LOG_LEVEL=info`, driven by autocannon over loopback (goals 1, 2, 5, 6), plus CPU profiles
 *    of the Node server for the notes of goal 2.
 * 3. Writes `results.json`, `RESULTS.md` and `ratios.svg` beside this package.
 *
 * `BENCH_QUICK=1`: a smoke run of about a minute (short runs, fewer rounds, small memory run).
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Socket } from 'node:net'
import { cpus, loadavg, totalmem } from 'node:os'

import { createTestDatabase } from '@warden/db/testing'
import { NODE_FLAGS } from '@warden/server/build'

import {
  layerTable,
  profileHosting,
  topFunctions,
  type RouteProfile,
} from './goals/hosting-profile.ts'
import {
  contentionTable,
  floorComparison,
  runLoginStorm,
  STORM_NICE,
  stormFigures,
  stormRunLabel,
  type StormRun,
} from './goals/login-storm-goal.ts'
import { memoryFigures, runMemory, type MemoryRun } from './goals/memory-goal.ts'
import {
  refreshFigures,
  runPackageBench,
  verifyFigures,
  type PackageBench,
} from './goals/package-benches.ts'
import {
  hostingFigures,
  loggingFigures,
  protectedFigures,
  runThroughputServers,
  type ServerRun,
} from './goals/throughput-goals.ts'
import { SAMPLE_INTERVAL_MS } from './load.ts'
import { ratiosSvg } from './report/ratios-svg.ts'
import { resultsMarkdown, type RunInfo } from './report/results-markdown.ts'
import { goalHolds, type GoalResult } from './results.ts'
import { bunBinary, RUNTIMES } from './server-process.ts'
import { round } from './stats.ts'

const QUICK = process.env['BENCH_QUICK'] === '1'
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

const settings = QUICK
  ? {
      throughput: {
        durationSec: 0.6,
        rounds: 2,
        missRounds: 2,
        missTokens: 12_000,
        warmupSec: { node: 0.6, bun: 0.6 },
        missWarmupSec: 0.3,
      },
      profileSec: 1.5,
      storm: { rate: 200, durationSec: 1.5, rounds: 2, concurrentLogins: 200 },
      memory: { requests: 100_000, distinctTokens: 10_000, blockSize: 10_000 },
      authBenchEnv: { BENCH_ROUNDS: '3', BENCH_MS: '60' },
    }
  : {
      throughput: {
        durationSec: 1.25,
        rounds: 7,
        missRounds: 2,
        missTokens: 20_000,
        warmupSec: { node: 5, bun: 20 },
        missWarmupSec: 2,
      },
      profileSec: 3,
      storm: { rate: 200, durationSec: 3, rounds: 3, concurrentLogins: 200 },
      memory: { requests: 1_000_000, distinctTokens: 100_000, blockSize: 100_000 },
      authBenchEnv: {},
    }

const started = performance.now()
const loadBefore = loadavg().map((n) => round(n, 2))
process.on('SIGINT', () => process.exit(130))

function log(message: string) {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4)
  console.log(`[${seconds} s] ${message}`)
}

const steps: { name: string; seconds: number }[] = []

/**
 * Runs one step and records its wall time under `short`; a failure becomes the goal's error
 * instead of ending the run.
 */
async function step<T>(name: string, short: string, run: () => Promise<T>): Promise<T | Error> {
  log(`${name}…`)
  const from = performance.now()
  try {
    const result = await run()
    log(`${name}: done`)
    return result
  } catch (error) {
    log(`${name}: FAILED ${error instanceof Error ? error.message : String(error)}`)
    return error instanceof Error ? error : new Error(String(error))
  } finally {
    steps.push({ name: short, seconds: round((performance.now() - from) / 1000, 0) })
  }
}

function postgresAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.connect(Number(port || 5432), hostname, () => done(true))
  })
}

function versions(): Record<string, string> {
  const bun = spawnSync(bunBinary, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const agent = /pnpm\/(\S+)/.exec(process.env['npm_config_user_agent'] ?? '')?.[1]
  const declared = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      packageManager?: string
    }
  ).packageManager?.replace(/^pnpm@/, '')
  return {
    node: process.version,
    bun: bun === '' ? 'unknown' : `v${bun}`,
    pnpm: agent ?? `${declared ?? 'unknown'} (declared; not run through pnpm)`,
  }
}

const databaseUrl = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL
const postgres = await postgresAnswers(databaseUrl)
if (postgres) process.env['DATABASE_URL'] = databaseUrl
log(
  `${QUICK ? 'quick run' : 'full run'}; PostgreSQL ${postgres ? `at ${new URL(databaseUrl).host}` : 'not reachable: goal 4 skipped, goal 5 on PGlite'}; load ${loadBefore.join(', ')}`,
)

// One fresh PostgreSQL database (dropped at the end) for every server of the HTTP benchmarks:
// production's setup, and no embedded PGlite in the measured process.
await using database = postgres ? await createTestDatabase('postgres') : undefined
const serverDatabaseUrl = database?.url ?? 'memory:'

const authBench = await step('goal 3: @warden/auth verify benchmark', 'auth core', () =>
  runPackageBench('auth', settings.authBenchEnv),
)
const dbBench: PackageBench | Error = postgres
  ? await step('goal 4: @warden/db rotation benchmark', 'refresh', () =>
      runPackageBench('db', { DATABASE_URL: databaseUrl }),
    )
  : new Error(`PostgreSQL does not answer at ${new URL(databaseUrl).host}`)
const throughput = await step('goals 1 and 2: throughput, Node and Bun', 'throughput', () =>
  runThroughputServers({
    runtimes: RUNTIMES,
    databaseUrl: serverDatabaseUrl,
    ...settings.throughput,
  }),
)
const profiles = await step('goal 2: CPU profiles of the Node server', 'profiles', () =>
  profileHosting({
    runtime: 'node',
    databaseUrl: serverDatabaseUrl,
    durationSec: settings.profileSec,
  }),
)
const storm = await step('goal 5: whoami latency during a login storm', 'login storm', () =>
  runLoginStorm({
    runtimes: RUNTIMES,
    databaseUrl: serverDatabaseUrl,
    ...settings.storm,
  }),
)
const memory = await step('goal 6: memory over many tokens', 'memory', () =>
  runMemory({ runtimes: RUNTIMES, databaseUrl: serverDatabaseUrl, ...settings.memory }),
)

const failed = (value: unknown): value is Error => value instanceof Error

function throughputGoal(
  id: string,
  title: string,
  figures: (runs: ServerRun[]) => GoalResult['figures'],
  notes: (runs: ServerRun[]) => string[],
): GoalResult {
  if (failed(throughput)) return { id, title, figures: [], notes: [], error: throughput.message }
  return { id, title, figures: figures(throughput), notes: notes(throughput) }
}

const methodNotes = [
  `Each server runs in its own process from the real entry point: on Node the server's build, as \`pnpm start\` runs it (\`node ${NODE_FLAGS.join(' ')} apps/server/dist/main.node.js\`, rebuilt from the sources at the start of the run), on Bun \`src/main.bun.ts\` under the Bun binary, on 127.0.0.1 with a random port, \`LOG_LEVEL=info\` and its request log going to a file (one JSON line per request is part of the cost; each throughput run checks the line count), \`DATABASE_URL\` ${postgres ? 'a fresh PostgreSQL database created for the run' : '`memory:` (PGlite; PostgreSQL did not answer)'}.`,
  `autocannon (programmatic API, sampling every ${SAMPLE_INTERVAL_MS} ms so that a run ends when its time is up) drives it over loopback with 10 keep-alive connections. The two sides of a ratio run on the same server, alternated: ${settings.throughput.rounds} rounds of ${settings.throughput.durationSec} s per side, the order rotating each round, after a warm-up per server of ${settings.throughput.warmupSec.node} s on Node and ${settings.throughput.warmupSec.bun} s on Bun (its sides alternated in two rounds; a Bun server pinned to one CPU got faster in steps for up to ~20 s of load); the median per side is reported. The all-miss side runs after those, alternated with \`system.info\` again (${settings.throughput.missRounds} rounds, the ratio of that phase's medians): its ${settings.throughput.missTokens.toLocaleString('en-US')} distinct tokens fill the heap with evicted cache entries, whose collection would otherwise fall into whichever round follows. Any non-2xx answer fails a throughput run.`,
  `${cpuSplitNote()} Two figures per ratio: requests/s of wall time (what the issue asks for), and requests per CPU-second of the server process (user + system time of all its threads, from \`/proc/<pid>/stat\`); both must hold for a goal to hold.`,
  `Tokens are issued by the bench with the token service and the server's own key (\`AUTH_SIGNING_KEYS\`), never through login; cache-hit runs use one token per connection, cache-miss runs a fresh token on every request (${settings.throughput.missTokens.toLocaleString('en-US')} tokens, more than the 10,000-entry cache holds).`,
]

function cpuSplitNote(): string {
  if (failed(throughput)) return ''
  const split = throughput.find((run) => run.cpus !== undefined)?.cpus
  if (split === undefined) {
    return 'The server and the load generator shared every CPU (they could not be pinned apart here).'
  }
  return `During the throughput runs the server is pinned to CPU ${split.server} (all its threads, with \`taskset\`) and the load generator to CPU ${split.load}, so the two never compete for a core (on this 2-core machine, as if the load came from another machine) and the server's CPU per request is the inverse of its throughput.`
}

/** A difference in µs with its sign, to 0.1 (`+1.2`, `-0.3`, `0.0`). */
function signed(difference: number): string {
  const value = round(difference, 1)
  return `${value > 0 ? '+' : ''}${value.toFixed(1)}`
}

function protectedNotes(runs: ServerRun[]): string[] {
  const notes = [
    '`system.whoami` verifies the bearer token (the verified-token cache serves the 10 tokens after their first request), checks revocation on every request (cache hit or not), takes the principal built for that token and evaluates the `signed-in` policy; `system.info` does none of it. The all-miss rows verify every signature (EdDSA and ES256 cost tens of microseconds of `node:crypto` each; see goal 3), for information.',
    "The control row sends `system.info` with the same `Authorization` header as `whoami`: a public procedure only checks the header's syntax, so the difference between the control and `info` is the cost of carrying a ~550-byte bearer token over HTTP (parsing, the Fetch `Headers` lookup that keeps duplicate headers detectable, the RFC 6750 check), and the difference between `whoami` and the control is the cost of verifying and serving it (less the syntax check, which `whoami` skips for a token the cache holds).",
  ]
  const split = runs
    .filter((r) => r.cpuUs.infoToken !== undefined)
    .map((r) => {
      const info = r.cpuUs.info ?? Number.NaN
      const control = r.cpuUs.infoToken ?? Number.NaN
      const whoami = r.cpuUs.whoami ?? Number.NaN
      return `${r.runtime}: ${info} → ${control} → ${whoami} µs, i.e. ${signed(control - info)} µs for carrying the token and ${signed(whoami - control)} µs for verifying and serving it`
    })
  if (split.length > 0) {
    notes.push(
      `Server CPU per request (EdDSA server), \`info\` → control → \`whoami\`: ${split.join('; ')}.`,
    )
  }
  const missed = protectedFigures(runs).filter((f) => f.holds === false)
  const carrying =
    "In earlier runs where carrying the token cost Node 5–13 %, a `perf record` of the Node server (`info` with and without the header, pinned as here) put most of that cost in the kernel (socket wake-ups, `_raw_spin_unlock_irqrestore`) and in V8 flattening the response header string for `writev`. Warden's own share was about 1 µs: the header lookup and the RFC 6750 syntax check, which a public procedure runs on every bearer header (a protected one skips it for a token the cache holds). Verifying and serving on a cache hit then adds a few µs more (cache lookup, revocation, policy, a body three times `info`'s)."
  notes.push(
    missed.length === 0
      ? `Every cache-hit ratio holds in this run. ${carrying}`
      : `Missed in this run: ${missed.map((f) => `${f.runtime ?? ''} ${f.name} (${f.value})`).join('; ')}. Carrying the token is most of the gap (the control row). ${carrying}`,
  )
  const cpu = runs
    .filter((r) => r.cpuUs.info !== undefined && r.cpuUs.whoami !== undefined)
    .map(
      (r) =>
        `${r.runtime} ${r.alg}: ${r.cpuUs.info} → ${r.cpuUs.whoami} µs (${signed((r.cpuUs.whoami ?? 0) - (r.cpuUs.info ?? 0))})`,
    )
  notes.push(
    `Server CPU per request, \`system.info\` → \`system.whoami\` (cache hits): ${cpu.join('; ')}.`,
  )
  if (!failed(profiles)) {
    const info = profiles.find((p) => p.path === '/trpc/system.info')
    const whoami = profiles.find((p) => p.path === '/trpc/system.whoami')
    if (info && whoami) {
      notes.push(
        `Where the difference goes on Node (profiles of goal 2; µs per request, each route profiled on its own, so only large differences mean anything): ${layerDelta(info, whoami)}. Besides the token's bytes, \`whoami\` pays for the cache lookup (the signature segment hashed, the whole token compared), the revocation check, the policy, three \`WeakMap\` lookups (authenticated state, answer, serialized body) and a body three times the size of \`info\`'s. What it no longer pays: the RFC 6750 parse of a \`Bearer <token>\` header whose token the cache holds (the parse would extract that very token; \`authenticate\` in \`packages/api/src/context.ts\`); a new answer per request (it is built and serialized once per verified token: \`packages/api/src/router/system.ts\`, \`apps/server/src/http/frozen-json.ts\`); and tRPC copying the context (\`next({ ctx })\`): the handler reads \`principal\` and \`claims\` from the context object itself (\`packages/api/src/context.ts\`).`,
      )
    }
  }
  return notes
}

function layerDelta(from: RouteProfile, to: RouteProfile): string {
  return Object.keys({ ...from.layers, ...to.layers })
    .map((layer) => {
      const key = layer as keyof RouteProfile['layers']
      return [layer, (to.layers[key] ?? 0) - (from.layers[key] ?? 0)] as const
    })
    .filter(([, delta]) => Math.abs(delta) >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([layer, delta]) => `${layer} ${signed(delta)}`)
    .join(', ')
}

function hostingNotes(): string[] {
  const notes = [
    'What Warden changed on this path (each kept every test green, and `apps/server/src/http/trpc.test.ts` checks the fast path against `resolveResponse` answer for answer):',
    [
      "- **tRPC glue.** `fetchRequestHandler` is gone. A single call (a query by GET: every `system.info`/`system.whoami` call and every unbatched client query; a mutation by POST with a JSON body: `auth.login`, `auth.refresh` from the client's session link) is answered by `answerSingleCall` in `apps/server/src/http/trpc.ts`: it does what `resolveResponse` does for that request (context, procedure call, input read and parsed on first use, `onError`, error shape and status, `Vary`, `responseMeta` headers, envelope through the router's transformer) without what such a request cannot use — two `AbortController`s and two `AbortSignal.any` per request, a second `URL` parse, request-info parsing (`Promise.all`, `Set`, content-type dispatch), `Headers` objects and option copies. The procedure gets no abort signal (`signal: undefined`, which tRPC's types allow): reading the request's `signal` made @hono/node-server build an `AbortSignal` per request, and on Node 20 each one leaves about 0.5 KB that only a full collection frees (Node builds it by changing an `EventTarget`'s prototype, then adding properties), which was 85 % of what the server promoted in goal 6's run and nearly every full collection. Batches, streaming, other body types, other methods and unknown paths still go to tRPC's own `resolveResponse`, called directly.",
      '- **Request details on demand.** The client IP, `Origin` checks, cookies and URL checks are getters on the request object the procedures see; `system.info` reads none. On Bun, `server.requestIP()` was called for every request and now only when a login needs the IP.',
      "- **CORS** runs only for requests with an `Origin` header (browsers always send one on cross-origin requests). Hono's middleware touched `c.res` before the handler on every request, which made Hono rebuild the tRPC response through a body stream.",
      '- **One middleware** for HTTPS enforcement, security headers (all still set) and the request log; procedures have one tRPC middleware each instead of two (each level makes tRPC copy the call options twice).',
      '- **Request log** lines are batched: written to stdout once per event-loop turn (bounded to 64 KiB; warnings, errors and exit flush at once) instead of one synchronous write per request; the timestamp is formatted once per millisecond.',
    ].join('\n'),
  ]
  if (failed(profiles)) return [...notes, `Profiles not taken: ${profiles.message}`]
  const info = profiles.find((p) => p.path === '/trpc/system.info')
  notes.push(
    `CPU profile of the Node server (\`node --cpu-prof\`, self time of the load window only, attributed per request; ${settings.profileSec} s of closed-loop load per route, each route on its own server):`,
    layerTable(profiles),
  )
  if (info) {
    notes.push(`Top self-time functions of \`system.info\`:\n\n${topFunctions(info)}`)
    const trpc = info.layers['tRPC (resolveResponse, procedure call chain)'] ?? 0
    const abort = info.layers['AbortController / AbortSignal.any'] ?? 0
    notes.push(
      `**What is left inside tRPC** for \`system.info\`: ${trpc.toFixed(1)} µs per request in \`@trpc/server\` itself — the procedure call chain (\`callRecursive\` copies the call options with \`_objectSpread2\` for every middleware level and again in \`next()\`, plus the context when a middleware extends it), \`getErrorShape\` on errors${abort >= 0.05 ? ` — and ${abort.toFixed(1)} µs in \`AbortController\`/\`AbortSignal\`` : ''}. The rest of the gap to \`/health\` is the work any JSON API answer does (a second Hono middleware for CORS' \`Vary\`, a larger JSON body, the response \`Headers\`), and \`writev\`: the socket write costs more per request at lower request rates, because each answer has to wake the idle client.`,
    )
  }
  return notes
}

function stormNotes(runs: StormRun[]): string[] {
  const contention = contentionTable(runs)
  const comparison = floorComparison(runs)
  const floor =
    comparison === undefined
      ? []
      : [
          `The floor (\`bench/src/goals/storm-floor-server.ts\`, on the same runtime, after Warden's server has stopped): a bare \`node:http\` server that answers the probe's GET with a fixed JSON body at once and checks each login's password with Warden's own password hasher (\`createPasswordHasher()\`: the same argon2id parameters, hashing thread, priority and bounded queue; 503 when it refuses), without Hono, tRPC, a database, tokens or a request log, under the same storm (distinct IPs) and the same probe. Its ratio is what the goal asks of this machine whatever the server is built with: one of the ${cpus().length} CPUs hashes all the time, the storm process takes much of the other, and the probe's requests wait for them. ${comparison}`,
        ]
  const scheduler =
    contention === undefined
      ? []
      : [
          `Where the time goes, from Linux's scheduler accounting (\`/proc/<pid>/task/<tid>/schedstat\` of the server's and the probe's main threads, \`/proc/stat\` for all CPUs; medians of the rounds, at rest → in the storm). A main thread that is ready to run but waits for a CPU delays every request it has to answer, and no ordering inside the event loop can win that time back; the probe's own wait adds to each response time it measures. In the storm, argon2id (its thread at nice 10) and the storm process (nice ${STORM_NICE}) share the machine's ${cpus().length} CPUs with both. "Inside the server" is the p99 of the same \`system.whoami\` requests' handler time from the server's own request log (its \`ms\`: from the first middleware to the answer handed to the runtime, rounds pooled); the rest of a response time passes before the handler runs (the request waits while the event loop works through login traffic, or while the main thread waits for a CPU) or after it (the socket write, the probe's own delays).`,
          contention,
        ]
  return [
    `\`system.whoami\` is driven at ${settings.storm.rate} requests/s, evenly spaced (an open-loop probe: one request every ${round(1000 / settings.storm.rate, 1)} ms whatever the earlier answers became, over up to 10 keep-alive connections; each response time to the microsecond; not autocannon's \`overallRate\`, which sends each connection's budget back to back at the start of every second) for ${settings.storm.durationSec} s at rest, then for ${settings.storm.durationSec} s while ${settings.storm.concurrentLogins} logins with the right password and the real argon2id parameters (19 MiB, 2 passes) are kept in flight at all times (each of 200 clients sends its next login as soon as its last is answered) by a separate process at nice ${STORM_NICE}, every thread of it (it stands for clients on other machines; the server and the probe keep nice 0); rest and storm alternate ${settings.storm.rounds} times, and the ratio is of the p99s of every response time at rest and in the storms, the rounds pooled. Database: ${postgres ? 'PostgreSQL (a fresh database per runtime)' : 'PGlite in memory'}. \`TRUST_PROXY=true\`.`,
    `Logins per answer: ${runs
      .map(
        (r) =>
          `${r.runtime}, ${stormRunLabel(r)}: ${Object.entries(r.logins.byStatus)
            .map(
              ([status, count]) =>
                `${count} × ${status} (slowest ${r.logins.maxMsByStatus[status] ?? '?'} ms)`,
            )
            .join(', ')}`,
      )
      .join(
        '; ',
      )}. Server cores busy (CPU seconds per second, all threads) at rest → in the storm: ${runs
      .map(
        (r) =>
          `${r.runtime}, ${stormRunLabel(r)}: ${r.restCores.join('/')} → ${r.stormCores.join('/')}`,
      )
      .join(
        '; ',
      )}. argon2id runs on a hashing thread of its own at nice 10 (\`createPasswordHasher\`'s \`nice\`: it yields the CPU to the event loop; \`maxConcurrent\` = CPUs − 1 = 1 here, 64 queued); logins beyond what the hasher can run and queue (65 at once) get 503 \`overloaded\` at once, before any database query, and with one IP the per-IP login queue (16 waiting) answers 429 before the hasher is reached. Logins and registrations wait for their turn in a low-priority lane (\`apps/server/src/http/low-priority-lane.ts\`): one per turn of the event loop, with the I/O that arrived meanwhile read in between, so a \`system.whoami\` is not queued behind hundreds of refusals.`,
    ...floor,
    ...scheduler,
  ]
}

function memoryNotes(runs: MemoryRun[]): string[] {
  return [
    `${settings.memory.requests.toLocaleString('en-US')} \`system.whoami\` requests per runtime with ${settings.memory.distinctTokens.toLocaleString('en-US')} distinct HS256 tokens issued with the token service (the server's key), in ${settings.memory.requests / settings.memory.blockSize} blocks; each block uses its own tenth of the tokens, each token ${settings.memory.requests / settings.memory.distinctTokens} times (a first use that misses the cache, verifies and inserts — evicting once the cache holds 10,000 — then hits). RSS of the server process from \`/proc/<pid>/status\`, after every block and every 100 ms.`,
    `Runs: ${runs.map((r) => `${r.runtime} ${r.requests.toLocaleString('en-US')} requests in ${r.seconds} s`).join('; ')}.`,
    "RSS moves with the garbage collectors' timing (V8 lets its old generation grow to a few times the live heap before a full collection), so flatness compares the mean RSS during the second and the last block. On Node the old generation holds only the evicted cache entries between full collections, and RSS climbs from one to the next: how far is V8's heap growing factor, up to 4 when the heap may grow to gigabytes, 1.8 under `pnpm start`'s `--max-old-space-size=1536` (`NODE_FLAGS` in `apps/server/scripts/build.ts`; without it a run of this code peaked at 276 MB). Each server logs its garbage collections (Node with `--trace-gc`, Bun with JavaScriptCore's `BUN_JSC_logGC=1`): the heap left after each full collection is the live data (verified-token cache, revocation list, modules), shown for the whole run past the first block. On Bun, JavaScriptCore lets the heap grow to several times the live data between full collections too, and RSS follows that high-water mark rather than the live heap.",
  ]
}

/** Why goal 4's round-trip bound is out of reach with durable commits, from the same run. */
function durableWriteNote(figures: GoalResult['figures']): string[] {
  const detailOf = (suffix: string) => figures.find((f) => f.name.endsWith(suffix))?.detail
  const detail = detailOf('round trips, postgres')
  const insert = detail?.['one-row INSERT in round trips']
  const insertMs = detail?.['one-row INSERT ms']
  const selectMs = detail?.['SELECT 1 ms']
  if (typeof insert !== 'number' || typeof insertMs !== 'number') return []
  const unflushedMs = detailOf('synchronous_commit=off (diagnostic)')?.['one-row INSERT ms']
  const flush =
    typeof unflushedMs === 'number' && unflushedMs < insertMs
      ? `; the same INSERT without synchronous commit takes ${String(unflushedMs)} ms, so the commit's WAL flush to disk is about ${Math.round((100 * (insertMs - unflushedMs)) / insertMs)} % of it, and a rotation pays that flush once`
      : ''
  return [
    `The floor: a one-row INSERT committed on its own (${String(insertMs)} ms) already costs ${insert} round trips (\`SELECT 1\`: ${String(selectMs)} ms)${flush}. A rotation is one prepared statement (one round trip; \`packages/db/src/stores/refresh-rotation.ts\`): it marks the presented token used, touches its family and inserts the successor, with two foreign-key checks and four index entries. Without the flush (the \`synchronous_commit=off\` row) it is the statement's own execution plus the round trip. Warden keeps synchronous commits: a rotation lost in a crash would log the user out or make a used token current again.`,
  ]
}

function refreshGoal(): GoalResult {
  const id = 'Goal 4'
  const title = 'refresh within 3 database round trips; ≥ 1,000 refreshes/s with 10 clients'
  if (failed(dbBench)) return { id, title, figures: [], notes: [], error: dbBench.message }
  if (dbBench.error !== undefined)
    return { id, title, figures: [], notes: [], error: dbBench.error }
  const figures = refreshFigures(dbBench)
  if (!figures.some((f) => f.target !== undefined)) {
    const error = 'the rotation benchmark reported no PostgreSQL figures'
    return { id, title, figures, notes: [], error }
  }
  return {
    id,
    title,
    figures,
    notes: [
      `From \`@warden/db\`'s own benchmark (\`packages/db/bench/rotate.bench.ts\`, ${dbBench.seconds} s, its report in \`packages/db/reports/bench.json\`): median of its rounds; a rotation's time over a \`SELECT 1\` round trip on the same pool, and rotations per second with 10 clients each rotating its own family. Only the \`postgres\` backend is held to the goals; PGlite and the diagnostic run without synchronous commit are shown for information.`,
      ...durableWriteNote(figures),
    ],
  }
}

const goals: GoalResult[] = [
  throughputGoal(
    'Goal 1',
    'protected ≈ public: system.whoami ≥ 0.9× system.info (cache hits)',
    (runs) => protectedFigures(runs),
    (runs) => protectedNotes(runs),
  ),
  throughputGoal(
    'Goal 2',
    'tRPC hosting near Hono: system.info ≥ 0.4× GET /health on Node',
    (runs) => [...hostingFigures(runs), ...loggingFigures(runs)],
    () => hostingNotes(),
  ),
  failed(authBench) || authBench.error !== undefined
    ? {
        id: 'Goal 3',
        title: 'verification on a cache miss near raw node:crypto',
        figures: [],
        notes: [],
        error: failed(authBench) ? authBench.message : authBench.error,
      }
    : {
        id: 'Goal 3',
        title: 'verification on a cache miss near raw node:crypto',
        figures: verifyFigures(authBench),
        notes: [
          `From \`@warden/auth\`'s own benchmark (\`packages/auth/bench/verify.bench.ts\`, ${authBench.seconds} s): ops per CPU-second of that process, functions alternated, median of the rounds; cost = time(miss) / time(raw). Goal: ≤ 1.3× for EdDSA and ES256, ≤ 3× for HS256 (raw = HMAC + \`timingSafeEqual\` + \`JSON.parse\`); RS256 for information.`,
        ],
      },
  refreshGoal(),
  failed(storm)
    ? {
        id: 'Goal 5',
        title: 'login does not starve the API',
        figures: [],
        notes: [],
        error: storm.message,
      }
    : {
        id: 'Goal 5',
        title: 'login does not starve the API: whoami p99 in a login storm ≤ 3× at rest',
        figures: stormFigures(storm),
        notes: stormNotes(storm),
      },
  failed(memory)
    ? { id: 'Goal 6', title: 'memory', figures: [], notes: [], error: memory.message }
    : {
        id: 'Goal 6',
        title: 'memory: RSS < 250 MB and flat over 1,000,000 requests with 100,000 tokens',
        figures: memoryFigures(memory),
        notes: memoryNotes(memory),
      },
]

const seconds = round((performance.now() - started) / 1000, 0)
const loadAfter = loadavg().map((n) => round(n, 2))
const run: RunInfo = {
  date: new Date().toISOString(),
  quick: QUICK,
  seconds,
  steps,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: round(totalmem() / 2 ** 30, 1),
    loadBefore,
    loadAfter,
  },
  versions: versions(),
  method: methodNotes,
}

const out = (name: string) => new URL(`../${name}`, import.meta.url)
writeFileSync(
  out('results.json'),
  `${JSON.stringify(
    {
      ...run,
      settings,
      goals: goals.map((g) => ({ ...g, holds: goalHolds(g) })),
      profiles: failed(profiles) ? { error: profiles.message } : profiles,
    },
    null,
    2,
  )}\n`,
)
writeFileSync(out('RESULTS.md'), resultsMarkdown(run, goals))
writeFileSync(
  out('ratios.svg'),
  ratiosSvg(goals, `${run.date.slice(0, 16).replace('T', ' ')} UTC${QUICK ? ', quick run' : ''}`),
)

log(`done in ${seconds} s; load ${loadAfter.join(', ')}`)
for (const goal of goals) {
  console.log(
    `${goal.id}: ${goal.error === undefined ? (goalHolds(goal) ? 'holds' : 'MISSED') : `not measured (${goal.error})`}`,
  )
  for (const f of goal.figures) {
    const verdict = f.holds === undefined ? '' : f.holds ? ' ✓' : ' ✗'
    console.log(`  ${f.runtime ?? ''} ${f.name}: ${f.value} ${f.unit}${verdict}`)
  }
}
console.log('\nWrote bench/results.json, bench/RESULTS.md, bench/ratios.svg')
