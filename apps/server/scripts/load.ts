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
 * - the server's RSS after the run is within 20 % of its RSS after the warm-up.
 * It prints requests by kind, errors by code, p50/p99 latencies and the RSS samples, drops the
 * database, and exits 1 if a check failed.
 */
import { parseArgs } from 'node:util'

import { generateKeySet } from '@warden/auth'
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
  const server = await spawnWarden({
    DATABASE_URL: database.url,
    AUTH_SIGNING_KEYS: JSON.stringify(await generateKeySet('EdDSA')),
    TRUST_PROXY: 'true',
    LOG_LEVEL: 'info',
  })
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

    const started = performance.now()
    const warmupEnds = started + warmupS * 1000
    const ends = started + durationS * 1000
    const rss: { at: number; bytes: number | undefined }[] = []
    let rssAfterWarmup: number | undefined
    const sampler = setInterval(() => {
      void server.rss().then((bytes) => {
        const at = (performance.now() - started) / 1000
        rss.push({ at, bytes })
        if (rssAfterWarmup === undefined && performance.now() >= warmupEnds) rssAfterWarmup = bytes
      })
    }, 5000)

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
              }
              break
            }
            case 'login': {
              const session = await login(user)
              if (session !== undefined) {
                user.accessToken = session.accessToken
                user.current = session.family
              }
              break
            }
          }
        }
      }),
    )
    clearInterval(sampler)
    const elapsedS = (performance.now() - started) / 1000
    const rssAfterRun = await server.rss()

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
        `RSS after the run within 20 % of RSS after warm-up (${mib(rssAfterWarmup)} → ${mib(rssAfterRun)})`,
        rssAfterWarmup !== undefined &&
          rssAfterRun !== undefined &&
          Math.abs(rssAfterRun - rssAfterWarmup) <= 0.2 * rssAfterWarmup,
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
      `RSS samples: ${rss.map(({ at, bytes }) => `${at.toFixed(0)}s ${mib(bytes)}`).join(', ')}`,
    )
    for (const [label, ok] of checks) lines.push(`${ok ? 'ok  ' : 'FAIL'} ${label}`)
    process.stdout.write(`${lines.join('\n')}\n`)
    return checks.every(([, ok]) => ok) ? 0 : 1
  } finally {
    await server.stop('SIGTERM')
  }
}

process.exitCode = await main()
