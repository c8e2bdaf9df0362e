import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { figure, type Figure } from '../results.ts'
import { round } from '../stats.ts'

const packagesDir = fileURLToPath(new URL('../../../packages/', import.meta.url))

/** What running a package's own `bench` script gave. */
export interface PackageBench {
  readonly pkg: string
  /** The parsed `reports/bench.json`, when the script ran and wrote it. */
  readonly report?: unknown
  readonly error?: string | undefined
  readonly seconds: number
}

/**
 * Runs `packages/<pkg>`'s `bench` script the way pnpm does (`sh -c`, with the package's
 * `node_modules/.bin` on PATH), its output indented under ours, then reads the JSON report the
 * script writes to `reports/bench.json`.
 */
export async function runPackageBench(
  pkg: string,
  env: Record<string, string>,
): Promise<PackageBench> {
  const dir = join(packagesDir, pkg)
  const started = performance.now()
  const seconds = () => round((performance.now() - started) / 1000, 1)
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>
  }
  const script = manifest.scripts?.['bench']
  if (script === undefined) return { pkg, error: `@warden/${pkg} has no bench script`, seconds: 0 }
  const entry = /\b(bench\/\S+\.ts)\b/.exec(script)?.[1]
  if (entry !== undefined && !existsSync(join(dir, entry))) {
    return { pkg, error: `@warden/${pkg}: ${entry} does not exist yet`, seconds: 0 }
  }
  const reportFile = join(dir, 'reports/bench.json')
  const before = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : undefined
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('sh', ['-c', script], {
      cwd: dir,
      env: {
        ...process.env,
        ...env,
        PATH: `${join(dir, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const indent = (chunk: Buffer) =>
      process.stdout.write(chunk.toString().replace(/^(?=.)/gm, `  [${pkg}] `))
    child.stdout.on('data', indent)
    child.stderr.on('data', indent)
    child.on('error', reject)
    child.on('exit', resolve)
  })
  if (code !== 0)
    return { pkg, error: `@warden/${pkg} bench exited with ${code}`, seconds: seconds() }
  if (!existsSync(reportFile)) {
    return { pkg, error: `@warden/${pkg} bench wrote no reports/bench.json`, seconds: seconds() }
  }
  const text = readFileSync(reportFile, 'utf8')
  if (text === before) {
    return { pkg, error: `@warden/${pkg} bench did not update its report`, seconds: seconds() }
  }
  return { pkg, report: JSON.parse(text) as unknown, seconds: seconds() }
}

interface VerifyResult {
  alg: string
  opsPerSecond: { raw: number; miss: number; hit: number; jose: number }
  costVsRaw: { miss: number; hit: number; jose: number }
  goal?: number
}

function isVerifyReport(report: unknown): report is { runtime: string; results: VerifyResult[] } {
  if (typeof report !== 'object' || report === null) return false
  const results = (report as { results?: unknown }).results
  return (
    Array.isArray(results) &&
    results.every(
      (r: unknown) =>
        typeof r === 'object' &&
        r !== null &&
        typeof (r as VerifyResult).alg === 'string' &&
        typeof (r as VerifyResult).costVsRaw === 'object',
    )
  )
}

/**
 * Goal 3 from `@warden/auth`'s verify benchmark: time of a cache-miss verification over the raw
 * `node:crypto` check (HS256: raw HMAC + JSON.parse), per algorithm, within the issue's factor.
 */
export function verifyFigures(bench: PackageBench): Figure[] {
  if (!isVerifyReport(bench.report)) return []
  return bench.report.results.map((r) =>
    figure({
      name: `verify on a cache miss / raw node:crypto, ${r.alg}`,
      value: round(r.costVsRaw.miss, 2),
      unit: '× time',
      target: r.goal === undefined ? undefined : { op: '<=', value: r.goal },
      detail: {
        runtime: (bench.report as { runtime: string }).runtime,
        'raw ops/s': Math.round(r.opsPerSecond.raw),
        'miss ops/s': Math.round(r.opsPerSecond.miss),
        'hit ops/s': Math.round(r.opsPerSecond.hit),
        'jose jwtVerify ops/s': Math.round(r.opsPerSecond.jose),
      },
    }),
  )
}

interface RotationMeasurement {
  selectOneMs: number
  /** A one-row INSERT in its own transaction: the floor of any durable write. */
  insertMs: number
  rotationMs: number
  rotationInRoundTrips: number
  sequentialPerSecond: number
  concurrentPerSecond: number
}

function isRotationMeasurement(value: unknown): value is RotationMeasurement {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  return [
    'selectOneMs',
    'insertMs',
    'rotationMs',
    'rotationInRoundTrips',
    'concurrentPerSecond',
  ].every((key) => typeof m[key] === 'number')
}

/** The backends of `@warden/db`'s rotation report (`results`: backend → measurement). */
export function rotationResults(report: unknown): Record<string, RotationMeasurement> | undefined {
  if (typeof report !== 'object' || report === null) return undefined
  const results = (report as { results?: unknown }).results
  if (typeof results !== 'object' || results === null) return undefined
  const entries = Object.entries(results).filter((entry): entry is [string, RotationMeasurement] =>
    isRotationMeasurement(entry[1]),
  )
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

/**
 * Goal 4 from `@warden/db`'s rotation benchmark: on PostgreSQL (the `postgres` backend), one
 * rotation within 3 round trips (its time over a `SELECT 1`'s) and at least 1,000 rotations/s
 * with 10 concurrent clients; the other backends it reports (PGlite, diagnostics) for information.
 */
export function refreshFigures(bench: PackageBench): Figure[] {
  const results = rotationResults(bench.report) ?? {}
  return Object.entries(results).flatMap(([backend, m]) => {
    const goals = backend === 'postgres'
    const detail = {
      'SELECT 1 ms': round(m.selectOneMs, 3),
      'one-row INSERT ms': round(m.insertMs, 3),
      'one-row INSERT in round trips': round(m.insertMs / m.selectOneMs, 2),
      'rotation ms': round(m.rotationMs, 3),
      'sequential rotations/s': Math.round(m.sequentialPerSecond),
    }
    return [
      figure({
        name: `refresh rotation in database round trips, ${backend}`,
        value: round(m.rotationInRoundTrips, 2),
        unit: '× round trip',
        target: goals ? { op: '<=', value: 3 } : undefined,
        detail,
      }),
      figure({
        name: `refresh rotations/s with 10 concurrent clients, ${backend}`,
        value: Math.round(m.concurrentPerSecond),
        unit: '/s',
        target: goals ? { op: '>=', value: 1000 } : undefined,
      }),
    ]
  })
}
