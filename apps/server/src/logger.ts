import type { Logger } from '@warden/api'

export type { Logger }

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
export type LogLevel = keyof typeof LEVELS

/**
 * One JSON object per line. Callers pass only what may be logged: never an Authorization header,
 * a cookie, a token or a password (a test runs a whole login-refresh-logout and greps the lines).
 */
export function createLogger(options: {
  level: LogLevel
  write?: (line: string) => void
  now?: () => number
}): Logger {
  const threshold = LEVELS[options.level]
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const now = options.now ?? Date.now
  const log =
    (level: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
      if (LEVELS[level] < threshold) return
      write(JSON.stringify({ time: new Date(now()).toISOString(), level, message, ...fields }))
    }
  return { info: log('info'), warn: log('warn'), error: log('error') }
}
