import { spawn, type ChildProcess } from 'node:child_process'
import {
  closeSync,
  createReadStream,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import { buildServer, NODE_FLAGS } from '@warden/server/build'

import { processCpuSeconds } from './cpu-contention.ts'

/** A JavaScript runtime the server can run on. */
export type Runtime = 'node' | 'bun'

export const RUNTIMES: readonly Runtime[] = ['node', 'bun']

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const serverDir = join(repoRoot, 'apps/server')
/** The real Bun binary (not the `.bin/bun` shell shim, whose pid would not be the server's). */
export const bunBinary = fileURLToPath(new URL('../node_modules/bun/bin/bun.exe', import.meta.url))

// Node runs the server's build, as `pnpm start` does: built once per bench process, from the
// sources as they are, before the first Node server starts.
let built: Promise<void> | undefined
const ensureBuilt = () => (built ??= buildServer())

/** A Warden server in its own process, started from the real entry point of its runtime. */
export interface ServerProcess {
  readonly runtime: Runtime
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Whether it runs as in production (`NODE_ENV=production` behind a trusted proxy). */
  readonly production: boolean
  /**
   * Headers every request must carry: in production, the `X-Forwarded-Proto: https` of the
   * TLS-terminating proxy it trusts (plain HTTP is otherwise redirected).
   */
  readonly headers: Readonly<Record<string, string>>
  readonly pid: number
  /** Where the server's stdout and stderr go: its request log. */
  readonly logFile: string
  /** Resident set size of the server process, from `/proc/<pid>/status`. */
  rssBytes(): number
  /** CPU seconds (user + system, every thread) the server process has used so far. */
  cpuSeconds(): number
  /** Lines the server has logged so far (one per request, plus a few at start). */
  countLogLines(): number
  /** Reads the log line by line, as a stream (it can be hundreds of MB). */
  scanLog(visit: (line: string) => void): Promise<void>
  /** SIGTERM, then waits for the exit (the server flushes its log and closes the database). */
  stop(): Promise<void>
}

export interface StartServerOptions {
  runtime: Runtime
  /**
   * `DATABASE_URL`. With PostgreSQL the server runs as in production: `NODE_ENV=production`
   * (no development error details, HSTS, pending migrations refused) behind a trusted
   * TLS-terminating proxy (`TRUST_PROXY=true`). With `memory:` (embedded PGlite, which production
   * refuses unmigrated) it runs in development mode.
   */
  databaseUrl: string
  /** The rest of the server's environment, on top of what is set here. */
  env: Record<string, string>
  /**
   * Write CPU profiles (`.cpuprofile`) of the whole run into this folder: Node writes one per
   * thread (the main thread's has thread id 0: `CPU.<date>.<time>.<pid>.0.<n>.cpuprofile`), Bun one.
   */
  cpuProfileDir?: string | undefined
  /** Extra runtime flags for diagnostics (e.g. `--trace-gc` on Node). */
  runtimeFlags?: readonly string[] | undefined
  /**
   * What to run: Warden's server (the default), or goal 5's floor (`storm-floor-server.ts`: a bare
   * HTTP server with Warden's password hasher), from its source on either runtime.
   */
  program?: 'warden' | 'storm floor' | undefined
}

const READY_TIMEOUT_MS = 60_000

// Servers still running; killed if the bench itself exits early (an error, Ctrl-C).
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

function commandFor(options: StartServerOptions): { command: string; args: string[] } {
  const profile = [
    ...(options.cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]),
    ...(options.runtimeFlags ?? []),
  ]
  if (options.program === 'storm floor') {
    const floor = fileURLToPath(new URL('./goals/storm-floor-server.ts', import.meta.url))
    return options.runtime === 'bun'
      ? { command: bunBinary, args: [...profile, floor] }
      : {
          command: process.execPath,
          args: [...profile, '--import', import.meta.resolve('tsx'), floor],
        }
  }
  if (options.runtime === 'bun') {
    return { command: bunBinary, args: [...profile, join(serverDir, 'src/main.bun.ts')] }
  }
  return {
    command: process.execPath,
    args: [...profile, ...NODE_FLAGS, join(serverDir, 'dist/main.node.js')],
  }
}

/** Reads the URL out of the server's "warden listening on" line, if it is there yet. */
function listeningUrl(logFile: string): string | undefined {
  const head = readFileSync(logFile, 'utf8').slice(0, 1 << 16)
  return /"message":"warden listening on [^"]*","url":"([^"]+)"/.exec(head)?.[1]
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Starts the server on 127.0.0.1 with a random port and `LOG_LEVEL=info`, its output going to a
 * log file (the request log is part of the cost being measured), and waits for its ready line.
 */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  if (options.runtime === 'node' && options.program !== 'storm floor') await ensureBuilt()
  const logFile = join(tmpdir(), `warden-bench-${options.runtime}-${process.pid}-${Date.now()}.log`)
  const fd = openSync(logFile, 'w')
  const { command, args } = commandFor(options)
  const production = /^postgres(ql)?:/.test(options.databaseUrl)
  const child = spawn(command, args, {
    cwd: serverDir,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      ...options.env,
      ...(production ? { NODE_ENV: 'production', TRUST_PROXY: 'true' } : {}),
      DATABASE_URL: options.databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${command}`)
  running.add(child)
  child.once('exit', () => running.delete(child))

  const deadline = Date.now() + READY_TIMEOUT_MS
  let url: string | undefined
  while ((url = listeningUrl(logFile)) === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      const log = readFileSync(logFile, 'utf8').slice(-4000)
      rmSync(logFile, { force: true })
      throw new Error(`the ${options.runtime} server did not start:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  return {
    runtime: options.runtime,
    url,
    production,
    headers: production ? { 'x-forwarded-proto': 'https' } : {},
    pid,
    logFile,
    rssBytes() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]
      if (kb === undefined) throw new Error(`no VmRSS for ${pid}`)
      return Number(kb) * 1024
    },
    cpuSeconds: () => processCpuSeconds(pid),
    countLogLines() {
      const fd = openSync(logFile, 'r')
      const chunk = Buffer.alloc(1 << 20)
      let lines = 0
      try {
        for (let read; (read = readSync(fd, chunk, 0, chunk.length, null)) > 0;) {
          for (let i = chunk.indexOf(10); i !== -1 && i < read; i = chunk.indexOf(10, i + 1))
            lines++
        }
      } finally {
        closeSync(fd)
      }
      return lines
    },
    async scanLog(visit) {
      const lines = createInterface({ input: createReadStream(logFile), crlfDelay: Infinity })
      for await (const line of lines) visit(line)
    },
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited(child)
      clearTimeout(timer)
      if (statSync(logFile, { throwIfNoEntry: false }) !== undefined) rmSync(logFile)
    },
  }
}
