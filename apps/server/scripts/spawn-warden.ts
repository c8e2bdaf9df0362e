import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')

/** A Warden server running as a child process (`src/main.node.ts` under tsx's loader). */
export interface ChildWarden {
  /** `http://127.0.0.1:<port>`, read from the server's ready line. */
  readonly url: string
  readonly process: ChildProcess
  /** The last lines the server wrote (stdout and stderr), for diagnostics. */
  readonly output: readonly string[]
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Resident set size of the server process in bytes (from /proc), or undefined. */
  rss(): Promise<number | undefined>
}

/**
 * Starts the server from its sources as its own process, the way `pnpm dev` does but as ONE
 * process (node with tsx's loader, not the tsx CLI, which would put a second process between us
 * and the server: a SIGKILL must reach the server itself). `env` is the whole environment given
 * to it, on top of PATH; the port should be 0 (the ready line says which one was taken).
 *
 * @throws Error when the server exits or prints no ready line within `readyTimeoutMs`
 */
export async function spawnWarden(
  env: Record<string, string>,
  options: {
    readyTimeoutMs?: number
    /** Node flags for diagnostics, such as `--trace-gc`. */
    nodeFlags?: readonly string[]
    /** Sees every line the server writes to stdout, log lines and Node's own. */
    onLine?: (line: string) => void
  } = {},
): Promise<ChildWarden> {
  const args = [...(options.nodeFlags ?? []), '--import', 'tsx', 'src/main.node.ts']
  const child = spawn(process.execPath, args, {
    cwd: SERVER_DIR,
    env: {
      PATH: process.env['PATH'] ?? '',
      WARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), 'warden-child-')),
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const remember = (line: string) => {
    output.push(line)
    if (output.length > 200) output.shift()
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  createInterface({ input: child.stderr }).on('line', remember)
  const lines = createInterface({ input: child.stdout })

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `no ready line within ${options.readyTimeoutMs ?? 60_000} ms:\n${output.join('\n')}`,
        ),
      )
    }, options.readyTimeoutMs ?? 60_000)
    lines.on('line', (line) => {
      remember(line)
      options.onLine?.(line)
      try {
        const parsed = JSON.parse(line) as { message?: unknown; url?: unknown }
        if (
          typeof parsed.message === 'string' &&
          parsed.message.startsWith('warden listening on') &&
          typeof parsed.url === 'string'
        ) {
          clearTimeout(timer)
          resolve(parsed.url)
        }
      } catch {
        // Not a log line.
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(
        new Error(
          `the server exited (${code ?? signal}) before it was ready:\n${output.join('\n')}`,
        ),
      )
    })
  })

  return {
    url,
    process: child,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
    async rss() {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
        const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
        return match?.[1] === undefined ? undefined : Number(match[1]) * 1024
      } catch {
        return undefined
      }
    },
  }
}
