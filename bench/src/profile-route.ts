import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { createBenchKeys, issueTokens } from './bench-keys.ts'
import {
  mapToSources,
  summarizeCpuProfile,
  type CpuProfile,
  type ProfileSummary,
} from './cpu-profile.ts'
import { measureThroughput } from './load.ts'
import { startServer, type Runtime } from './server-process.ts'

const nowUs = () => Number(process.hrtime.bigint() / 1000n)

/** The main thread's profile: Node's has thread id 0 in its name; Bun writes only one. */
async function mainThreadProfile(dir: string): Promise<CpuProfile> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'))
  const main =
    names.length === 1 ? names[0] : names.find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\./.test(name))
  if (main === undefined) throw new Error(`no main-thread CPU profile in ${dir}`)
  return mapToSources(JSON.parse(await readFile(join(dir, main), 'utf8')) as CpuProfile)
}

/**
 * Profiles the server (`--cpu-prof`, Node or Bun) while one route is under closed-loop load, and
 * summarises the self time of the load window only (start-up and shutdown excluded).
 */
export async function profileRoute(options: {
  runtime: Runtime
  /** The server's `DATABASE_URL`; default `memory:`. */
  databaseUrl?: string | undefined
  path: string
  durationSec: number
  /** Send a valid bearer token (the same per connection, so the cache serves it). */
  withToken?: boolean | undefined
  /** Functions to list; default 25. */
  limit?: number | undefined
}): Promise<{ rps: number; summary: ProfileSummary }> {
  const keys = await createBenchKeys('EdDSA')
  const tokens = options.withToken === true ? await issueTokens(keys, 10) : undefined
  const dir = await mkdtemp(join(tmpdir(), 'warden-profile-'))
  try {
    const server = await startServer({
      runtime: options.runtime,
      databaseUrl: options.databaseUrl ?? 'memory:',
      env: keys.serverEnv,
      cpuProfileDir: dir,
    })
    const load = {
      url: server.url,
      path: options.path,
      authorizationPerConnection: tokens?.map((token) => [`Bearer ${token}`]),
      headers: server.headers,
    }
    let rps: number
    let window: { fromUs: number; toUs: number }
    let exitedUs: number
    try {
      await measureThroughput({ ...load, durationSec: 1 })
      const fromUs = nowUs()
      ;({ rps } = await measureThroughput({ ...load, durationSec: options.durationSec }))
      window = { fromUs, toUs: nowUs() }
    } finally {
      await server.stop()
      exitedUs = nowUs()
    }
    const profile = await mainThreadProfile(dir)
    // Node stamps samples with the monotonic clock `process.hrtime` reads; when a runtime uses
    // another clock, align the profile's end with the moment the process exited.
    const aligned = profile.startTime <= window.fromUs && window.toUs <= profile.endTime
    const shift = aligned ? 0 : profile.endTime - exitedUs
    return {
      rps,
      summary: summarizeCpuProfile(
        profile,
        { fromUs: window.fromUs + shift, toUs: window.toUs + shift },
        options.limit,
      ),
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
