import type { Logger } from '@warden/api'

export type { Logger }

const LEVELS = { info: 20, warn: 30, error: 40, silent: 100 } as const

/** One JSON line per call on standard output, at or above `level`. */
export function createLogger(options: {
  level: keyof typeof LEVELS
  write?: ((line: string) => void) | undefined
}): Logger {
  const threshold = LEVELS[options.level]
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const log =
    (level: 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => {
      if (LEVELS[level] < threshold) return
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }))
    }
  return { info: log('info'), warn: log('warn'), error: log('error') }
}

/** A logger that drops everything (the default of `createReportsApp`). */
export const silentLogger: Logger = createLogger({ level: 'silent', write: () => undefined })
