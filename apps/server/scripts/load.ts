/*
 * Sustained load against a real server process on PostgreSQL: `pnpm load [--duration 600]
 * [--clients 16] [--warmup 30]`. Not part of `pnpm test`.
 *
 * It creates a fresh database on the server of DATABASE_URL, starts Warden on it as a child
 * process, and runs `--clients` simulated users in closed loops for `--duration` seconds, each
 * mixing protected calls (system.whoami, projects.list, projects.create), refreshes and
 * logins, each user from its own address. Then it checks that nothing was lost:
 * - every family the driver started still rotates with the last refresh token it received;
 * - the database holds exactly the families and tokens the driver issued, none revoked, every
 *   family with one live token and no half-rotation;
 * - memory after the run is within 20 % of memory after the warm-up, both as the server's RSS
 *   (median of the samples of the last minute against the minute after the warm-up: single
 *   samples swing with the collector's timing) and as its live heap (what Node's `--trace-gc`
 *   reports after each full collection).
 * The warm-up lasts `--warmup` seconds, and at least until the server has issued as many access
 *   tokens as its verified-token cache holds: until then that bounded cache is still filling.
 * It prints requests by kind, errors by code, p50/p99 latencies and the RSS samples, drops the
 * database, and exits 1 if a check failed.
 */
import { parseArgs } from 'node:util'

import { DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES, generateKeySet } from '@warden/auth'
import { createTestDatabase } from '@warden/db/testing'

import { auditFamilies, familyProblems } from '../tests/faults/family-audit.ts'
import { spawnWarden } from './spawn-warden.ts'

type LoopKind = 'whoami' | 'projects.list' | 'projects.create' | 'refresh' | 'login'
type Kind = LoopKind | 'register'

interface Family {
  refreshToken: string
  rotations: number
}

interface User {
  readonly email: string
  readonly ip: string
  accessToken: string
  /** The family this user refreshes; earlier ones are kept as they were left. */
  current: Family
}

const PASSWORD = 'correct horse battery staple'
const MIX: readonly [LoopKind, number][] = [
  ['whoami', 0.7],
  ['projects.list', 0.1],
  ['projects.create', 0.03],
  ['refresh', 0.14],
  ['login', 0.03],
]

function pick(): LoopKind {
  let roll = Math.random()
  for (const [kind, share] of MIX) {
    roll -= share
    if (roll < 0) return kind
  }
  return 'whoami'
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN
}

const mib = (bytes: number | undefined) =>
  bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`

const MIB = 1024 * 1024
/** Seconds of samples that stand for "after the warm-up" and "after the run". */
const WINDOW_S = 60

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

interface Sample {
  /** Seconds since the measured run started. */
  readonly at: number
  readonly bytes: number
}

/** The medians of the samples in the window after `from` and in the last window of the run. */
function settledAndFinal(samples: readonly Sample[], from: number, end: number) {
  const after = samples.filter((s) => s.at >= from && s.at < from + WINDOW_S).map((s) => s.bytes)
  const last = samples.filter((s) => s.at >= end - WINDOW_S).map((s) => s.bytes)
  return { settled: median(after), final: median(last) }
}

const within20Percent = (settled: number | undefined, final: number | undefined) =>
  settled !== undefined && final !== undefined && Math.abs(final - settled) <= 0.2 * settled

// `[pid:0x…]   123 ms: Mark-Compact 61.2 (70.1) -> 40.3 (71.2) MB, …`: the heap after the `->`.
const FULL_GC = /ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      clients: { type: 'string', default: '16' },
      warmup: { type: 'string' },
    },
  })
  const durationS = Number(values.duration)
  const clientCount = Number(values.clients)
  const warmupS = values.warmup === undefined ? Math.min(30, durationS / 6) : Number(values.warmup)
  if (
    !(durationS > 0) ||
    !Number.isSafeInteger(clientCount) ||
    clientCount < 1 ||
    !(warmupS >= 0)
  ) {
    process.stderr.write('usage: pnpm load [--duration SECONDS] [--clients N] [--warmup SECONDS]\n')
    return 2
  }
  if (!process.env['DATABASE_URL']) {
    process.stderr.write(
      'pnpm load needs DATABASE_URL (a PostgreSQL server it may create a database on)\n',
    )
    return 2
  }

  await using database = await createTestDatabase('postgres', { poolMax: 2 })
  // Live heap after each full collection, per isolate, timed from the start of the measured run.
  let started: number | undefined
  const fullGcs = new Map<string, Sample[]>()
  const gcLines = new Map<string, number>()
  const server = await spawnWarden(
    {
      DATABASE_URL: database.url,
      AUTH_SIGNING_KEYS: JSON.stringify(await generateKeySet('EdDSA')),
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'info',
    },
    {
      nodeFlags: ['--trace-gc'],
      onLine: (line) => {
        const isolate = /^\[\d+:(0x[0-9a-f]+)\]/.exec(line)?.[1]
        if (isolate === undefined) return
        // The server's isolate is the one collecting all the time (tsx's loader thread has its
        // own, nearly idle one).
        gcLines.set(isolate, (gcLines.get(isolate) ?? 0) + 1)
        const after = FULL_GC.exec(line)?.[1]
        if (after === undefined || started === undefined) return
        const samples = fullGcs.get(isolate) ?? []
        samples.push({ at: (performance.now() - started) / 1000, bytes: Number(after) * MIB })
        fullGcs.set(isolate, samples)
      },
    },
  )
  try {
    const base = server.url
    const latencies = new Map<Kind, number[]>(
      [...MIX.map(([kind]) => kind), 'register' as const].map((kind) => [kind, []]),
    )
    const errors = new Map<string, number>()
    let familiesIssued = 0
    let rotations = 0
    const families: Family[] = []

    const call = async (
      kind: Kind,
      user: Pick<User, 'ip'> & Partial<User>,
      procedure: string,
      input?: unknown,
    ) => {
      const headers: Record<string, string> = { 'x-forwarded-for': user.ip }
      if (
        user.accessToken !== undefined &&
        kind !== 'refresh' &&
        kind !== 'login' &&
        kind !== 'register'
      ) {
        headers['authorization'] = `Bearer ${user.accessToken}`
      }
      const query = kind === 'whoami' || kind === 'projects.list'
      const started = performance.now()
      const response = await fetch(`${base}/trpc/${procedure}`, {
        method: query ? 'GET' : 'POST',
        headers: query ? headers : { ...headers, 'content-type': 'application/json' },
        ...(query ? {} : { body: JSON.stringify(input ?? null) }),
      })
      const body = (await response.json()) as {
        result?: { data: Record<string, unknown> }
        error?: { data: { code: string; authError?: string } }
      }
      latencies.get(kind)?.push(performance.now() - started)
      if (!response.ok) {
        const code = `${kind} ${response.status} ${body.error?.data.authError ?? body.error?.data.code ?? ''}`
        errors.set(code, (errors.get(code) ?? 0) + 1)
        return undefined
      }
      return body.result?.data
    }

    /** Logs in: a new family, which the driver must be able to account for at the end. */
    const login = async (
      user: Pick<User, 'email' | 'ip'>,
    ): Promise<{ family: Family; accessToken: string } | undefined> => {
      const data = await call('login', user, 'auth.login', {
        email: user.email,
        password: PASSWORD,
      })
      if (data === undefined) return undefined
      const family = { refreshToken: String(data['refreshToken']), rotations: 0 }
      families.push(family)
      familiesIssued += 1
      return { family, accessToken: String(data['accessToken']) }
    }

    process.stdout.write(
      `warden at ${base}; ${clientCount} clients for ${durationS} s (warm-up ${warmupS.toFixed(0)} s)\n`,
    )
    const users: User[] = []
    for (let i = 0; i < clientCount; i += 1) {
      const email = `load${i}@example.com`
      const ip = `10.77.${i >> 8}.${i & 255}`
      if (
        (await call('register', { ip }, 'auth.register', { email, password: PASSWORD })) ===
        undefined
      ) {
        throw new Error(`could not register ${email}`)
      }
      const session = await login({ email, ip })
      if (session === undefined) throw new Error(`could not log ${email} in`)
      users.push({ email, ip, accessToken: session.accessToken, current: session.family })
    }

    const runStarted = performance.now()
    started = runStarted
    const ends = runStarted + durationS * 1000
    const rss: Sample[] = []
    // The warm-up ends after `warmupS`, and not before the verified-token cache can be full.
    let warmupEndsAt: number | undefined
    const sampler = setInterval(() => {
      void server.rss().then((bytes) => {
        const at = (performance.now() - runStarted) / 1000
        if (bytes !== undefined) rss.push({ at, bytes })
      })
    }, 5000)
    let accessTokensIssued = clientCount
    const issued = () => {
      accessTokensIssued += 1
      const at = (performance.now() - runStarted) / 1000
      if (
        warmupEndsAt === undefined &&
        at >= warmupS &&
        accessTokensIssued >= DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES
      ) {
        warmupEndsAt = at
      }
    }

    let requests = 0
    await Promise.all(
      users.map(async (user) => {
        while (performance.now() < ends) {
          const kind = pick()
          requests += 1
          switch (kind) {
            case 'whoami':
              await call(kind, user, 'system.whoami')
              break
            case 'projects.list':
              await call(kind, user, 'projects.list')
              break
            case 'projects.create':
              await call(kind, user, 'projects.create', { name: `load ${requests}` })
              break
            case 'refresh': {
              const data = await call(kind, user, 'auth.refresh', {
                refreshToken: user.current.refreshToken,
              })
              if (data !== undefined) {
                user.current.refreshToken = String(data['refreshToken'])
                user.current.rotations += 1
                user.accessToken = String(data['accessToken'])
                rotations += 1
                issued()
              }
              break
            }
            case 'login': {
              const session = await login(user)
              if (session !== undefined) {
                user.accessToken = session.accessToken
                user.current = session.family
                issued()
              }
              break
            }
          }
        }
      }),
    )
    clearInterval(sampler)
    const elapsedS = (performance.now() - runStarted) / 1000
    // Past `warmupS` only if the cache filled in time; then the run was too short to say.
    const settledFrom = warmupEndsAt ?? elapsedS
    const memory = settledAndFinal(rss, settledFrom, elapsedS)
    const mainIsolate = [...gcLines].sort((a, b) => b[1] - a[1])[0]?.[0]
    const mainHeap = (mainIsolate === undefined ? undefined : fullGcs.get(mainIsolate)) ?? []
    const heap = settledAndFinal(mainHeap, settledFrom, elapsedS)

    // Accounting: every family still rotates with the last token the driver received.
    const lostFamilies: number[] = []
    for (const [index, family] of families.entries()) {
      const response = await fetch(`${base}/trpc/auth.refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.78.0.1' },
        body: JSON.stringify({ refreshToken: family.refreshToken }),
      })
      if (response.status === 200) family.rotations += 1
      else lostFamilies.push(index)
      await response.arrayBuffer()
    }
    const finalRotations = families.length - lostFamilies.length
    const states = await auditFamilies(database.kysely, new Date())
    const tokenRows = [...states.values()].reduce((sum, state) => sum + state.tokens, 0)
    const expectedTokens = familiesIssued + rotations + finalRotations
    const revoked = [...states.values()].filter((state) => state.revokedAt !== null).length

    const checks: [string, boolean][] = [
      [
        `every family rotates with its last token (${lostFamilies.length} lost)`,
        lostFamilies.length === 0,
      ],
      [
        `families in the database = issued (${states.size} / ${familiesIssued})`,
        states.size === familiesIssued,
      ],
      [
        `tokens in the database = issued (${tokenRows} / ${expectedTokens})`,
        tokenRows === expectedTokens,
      ],
      [`no family revoked (${revoked})`, revoked === 0],
      [
        `no half-rotated family (${familyProblems(states).length} problems)`,
        familyProblems(states).length === 0,
      ],
      [
        `RSS after the run within 20 % of RSS after the warm-up (medians of ${WINDOW_S} s: ${mib(memory.settled)} → ${mib(memory.final)})`,
        within20Percent(memory.settled, memory.final),
      ],
      [
        `live heap after full GCs within 20 % of the warm-up's (medians of ${WINDOW_S} s: ${mib(heap.settled)} → ${mib(heap.final)})`,
        within20Percent(heap.settled, heap.final),
      ],
    ]

    const lines: string[] = []
    lines.push(
      `ran ${elapsedS.toFixed(0)} s, ${requests} requests (${(requests / elapsedS).toFixed(0)}/s)`,
    )
    lines.push('kind             count     p50 ms   p99 ms   max ms')
    for (const [kind, samples] of latencies) {
      const sorted = [...samples].sort((a, b) => a - b)
      lines.push(
        `${kind.padEnd(16)} ${String(sorted.length).padStart(7)} ${percentile(sorted, 50).toFixed(2).padStart(9)} ${percentile(sorted, 99).toFixed(2).padStart(8)} ${(sorted.at(-1) ?? NaN).toFixed(1).padStart(8)}`,
      )
    }
    lines.push(
      `errors: ${errors.size === 0 ? 'none' : [...errors].map(([code, count]) => `${code} ×${count}`).join(', ')}`,
    )
    lines.push(`families ${familiesIssued}, rotations ${rotations} (+${finalRotations} final)`)
    lines.push(
      warmupEndsAt === undefined
        ? `warm-up: not over (fewer than ${DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES} access tokens issued); run longer`
        : `warm-up: ${warmupEndsAt.toFixed(0)} s (${DEFAULT_VERIFIED_TOKEN_CACHE_ENTRIES} access tokens issued, the verified-token cache's size)`,
    )
    lines.push(
      `RSS samples: ${rss.map(({ at, bytes }) => `${at.toFixed(0)}s ${mib(bytes)}`).join(', ')}`,
    )
    lines.push(
      `live heap after full GCs: ${mainHeap.map(({ at, bytes }) => `${at.toFixed(0)}s ${mib(bytes)}`).join(', ')}`,
    )
    for (const [label, ok] of checks) lines.push(`${ok ? 'ok  ' : 'FAIL'} ${label}`)
    process.stdout.write(`${lines.join('\n')}\n`)
    return checks.every(([, ok]) => ok) ? 0 : 1
  } finally {
    await server.stop('SIGTERM')
  }
}

process.exitCode = await main()
