import type { Logger } from '@warden/api'

export type { Logger }

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
export type LogLevel = keyof typeof LEVELS

/** Pending log bytes (UTF-16 units) above which the batch is written at once. */
const MAX_PENDING = 64 * 1024
/** The longest a line waits before it is written. */
const FLUSH_AFTER_MS = 10

interface StdoutSink {
  write(line: string): void
  flush(): void
}

/**
 * Standard output, batched: lines are written together at most `FLUSH_AFTER_MS` after the first
 * of them, instead of one synchronous `write(2)` per request (stdout is synchronous for files and
 * pipes on Linux; Bun's writer costs about as much per call). The batch is bounded: past
 * `MAX_PENDING` it is written at once. Warnings and errors, and the process's exit (including
 * an uncaught exception), flush everything first, so lines stay in order and none is lost when
 * the process stops; only a SIGKILL can lose the last few milliseconds of lines.
 */
function createStdoutSink(): StdoutSink {
  let pending = ''
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (pending === '') return
    const chunk = pending
    pending = ''
    process.stdout.write(chunk)
  }
  process.on('exit', flush)
  return {
    write(line) {
      pending += `${line}\n`
      if (pending.length >= MAX_PENDING) flush()
      else if (timer === undefined) {
        timer = setTimeout(flush, FLUSH_AFTER_MS)
        // The exit hook flushes; a pending batch must not keep the process alive.
        timer.unref()
      }
    },
    flush,
  }
}

// One per process: every logger writing to stdout shares it (and its single exit hook).
let stdoutSink: StdoutSink | undefined

/**
 * One JSON object per line. Callers pass only what may be logged: never an Authorization header,
 * a cookie, a token or a password (a test runs a whole login-refresh-logout and greps the lines).
 *
 * Without `write`, lines go to standard output in batches (see `createStdoutSink`); with it, each
 * line is handed over as soon as it is logged.
 */
export function createLogger(options: {
  level: LogLevel
  write?: (line: string) => void
  now?: () => number
}): Logger {
  const threshold = LEVELS[options.level]
  const sink = options.write === undefined ? (stdoutSink ??= createStdoutSink()) : undefined
  const write = options.write ?? ((line: string) => sink?.write(line))
  const now = options.now ?? Date.now
  // Requests that finish in the same millisecond share one formatted timestamp.
  let lastMs = Number.NaN
  let lastTime = ''
  const log =
    (level: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
      if (LEVELS[level] < threshold) return
      const ms = now()
      if (ms !== lastMs) {
        lastMs = ms
        lastTime = new Date(ms).toISOString()
      }
      write(JSON.stringify({ time: lastTime, level, message, ...fields }))
      if (level !== 'info') sink?.flush()
    }
  return { info: log('info'), warn: log('warn'), error: log('error') }
}
