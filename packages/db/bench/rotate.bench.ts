// Refresh rotation throughput and latency, on PostgreSQL (when DATABASE_URL is set) and PGlite.
// Run with `pnpm bench` (or `npx tsx bench/rotate.bench.ts` in packages/db). Never part of tests.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'

import { sql } from 'kysely'

import {
  createDatabase,
  createRefreshFamily,
  registerUser,
  rotateRefreshToken,
  type WardenDatabase,
} from '../src/index.ts'
import { createTestDatabase, testBackends } from '../src/testing/index.ts'

const ROUNDS = 5
const PINGS_PER_ROUND = 300
const SEQUENTIAL_ROTATIONS_PER_ROUND = 300
const CLIENTS = 10
const ROTATIONS_PER_CLIENT_PER_ROUND = 100
const TTL_MS = 60 * 60 * 1000

interface Measurement {
  selectOneMs: number
  /** A one-row INSERT in its own transaction: the floor of any durable write. */
  insertMs: number
  rotationMs: number
  rotationInRoundTrips: number
  sequentialPerSecond: number
  concurrentPerSecond: number
}

function hash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('hex')
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/** A fake clock: every rotation happens one millisecond after the previous one. */
let clock = Date.parse('2026-01-01T00:00:00Z')
const tick = () => new Date((clock += 1))

/** One client: a family whose current token it keeps rotating. */
async function startChain(db: WardenDatabase, userId: string) {
  let current = hash()
  await createRefreshFamily(db.kysely, {
    subject: { userId },
    audience: 'bench',
    tokenHash: current,
    now: new Date(clock),
    ttlMs: TTL_MS,
    maxAgeMs: 30 * 24 * TTL_MS,
  })
  return async (count: number) => {
    const successors = Array.from({ length: count }, hash)
    for (const successor of successors) {
      const result = await rotateRefreshToken(db.kysely, {
        presentedHash: current,
        successorHash: successor,
        now: tick(),
        ttlMs: TTL_MS,
        reuseIntervalMs: 10_000,
      })
      if (result.status !== 'rotated' || result.replay) {
        throw new Error(`Rotation failed: ${result.status}`)
      }
      current = successor
    }
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

async function measure(db: WardenDatabase): Promise<Measurement> {
  const registered = await registerUser(db.kysely, {
    email: `bench-${randomBytes(6).toString('hex')}@example.test`,
    passwordHash: 'bench',
    tenantName: 'Bench',
    now: new Date(clock),
  })
  if (!registered.ok) throw new Error('Could not register the bench user')
  const userId = registered.user.id
  const sequential = await startChain(db, userId)
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => startChain(db, userId)))

  const rounds: Measurement[] = []
  for (let round = 0; round <= ROUNDS; round += 1) {
    const pingMs = await timed(async () => {
      for (let i = 0; i < PINGS_PER_ROUND; i += 1) await sql`select 1`.execute(db.kysely)
    })
    const insertMs = await timed(async () => {
      for (let i = 0; i < PINGS_PER_ROUND; i += 1) {
        await sql`insert into login_attempt (account_key, ip, at, success)
          values ('bench', '127.0.0.1', ${tick()}, false)`.execute(db.kysely)
      }
    })
    const sequentialMs = await timed(() => sequential(SEQUENTIAL_ROTATIONS_PER_ROUND))
    const concurrentMs = await timed(() =>
      Promise.all(clients.map((rotate) => rotate(ROTATIONS_PER_CLIENT_PER_ROUND))),
    )
    if (round === 0) continue // warm-up: connections, plans, caches
    const selectOneMs = pingMs / PINGS_PER_ROUND
    const rotationMs = sequentialMs / SEQUENTIAL_ROTATIONS_PER_ROUND
    rounds.push({
      selectOneMs,
      insertMs: insertMs / PINGS_PER_ROUND,
      rotationMs,
      rotationInRoundTrips: rotationMs / selectOneMs,
      sequentialPerSecond: 1000 / rotationMs,
      concurrentPerSecond: (CLIENTS * ROTATIONS_PER_CLIENT_PER_ROUND * 1000) / concurrentMs,
    })
  }
  return {
    selectOneMs: median(rounds.map((r) => r.selectOneMs)),
    insertMs: median(rounds.map((r) => r.insertMs)),
    rotationMs: median(rounds.map((r) => r.rotationMs)),
    rotationInRoundTrips: median(rounds.map((r) => r.rotationInRoundTrips)),
    sequentialPerSecond: median(rounds.map((r) => r.sequentialPerSecond)),
    concurrentPerSecond: median(rounds.map((r) => r.concurrentPerSecond)),
  }
}

const DIAGNOSTIC = 'postgres, synchronous_commit=off (diagnostic)'
const results: Record<string, Measurement> = {}
{
  await using pglite = await createTestDatabase('pglite')
  results['pglite'] = await measure(pglite)
}
if (testBackends().includes('postgres')) {
  await using postgres = await createTestDatabase('postgres', { poolMax: CLIENTS })
  results['postgres'] = await measure(postgres)
  // Diagnostic only, never how Warden runs: without the WAL flush at commit, what is left is the
  // cost of the statement itself, which is what the round-trip goal is about.
  await sql`alter database ${sql.id(new URL(postgres.url).pathname.slice(1))} set synchronous_commit = off`.execute(
    postgres.kysely,
  )
  const asyncCommit = await createDatabase({ url: postgres.url, poolMax: CLIENTS })
  try {
    results[DIAGNOSTIC] = await measure(asyncCommit)
  } finally {
    await asyncCommit.close()
  }
} else {
  console.warn('PostgreSQL skipped: DATABASE_URL is not set')
}

const row = (cells: string[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(46) : cell.padStart(13))).join(' ')
console.log(
  `\nRefresh rotation, median of ${ROUNDS} rounds (${CLIENTS} concurrent clients, pool of ${CLIENTS})\n`,
)
console.log(
  row([
    'backend',
    'SELECT 1 ms',
    'INSERT ms',
    'rotation ms',
    'rotation/RTT',
    'seq rot/s',
    `${CLIENTS}x rot/s`,
  ]),
)
for (const [backend, m] of Object.entries(results)) {
  console.log(
    row([
      backend,
      m.selectOneMs.toFixed(3),
      m.insertMs.toFixed(3),
      m.rotationMs.toFixed(3),
      m.rotationInRoundTrips.toFixed(2),
      m.sequentialPerSecond.toFixed(0),
      m.concurrentPerSecond.toFixed(0),
    ]),
  )
}

const durable = results['postgres']
const goals = durable && {
  rotationWithin3RoundTrips: durable.rotationInRoundTrips <= 3,
  // A rotation is one durable write; on a fast loopback the WAL flush at commit, not the round
  // trips, is what it costs. This ratio says whether the statement adds much to that floor.
  rotationPerOneRowInsert: Number((durable.rotationMs / durable.insertMs).toFixed(2)),
  atLeast1000PerSecondWith10Clients: durable.concurrentPerSecond >= 1000,
}
if (goals) console.log('\nGoals (PostgreSQL):', goals)

const reports = fileURLToPath(new URL('../reports/', import.meta.url))
await mkdir(reports, { recursive: true })
await writeFile(
  `${reports}bench.json`,
  `${JSON.stringify(
    {
      benchmark: 'refresh rotation',
      at: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      rounds: ROUNDS,
      clients: CLIENTS,
      results,
      goals: goals ?? null,
    },
    null,
    2,
  )}\n`,
)
console.log(`\nWrote ${reports}bench.json`)
