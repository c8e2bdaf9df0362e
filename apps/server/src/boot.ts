import { ConfigError, type Config } from './config.ts'
import type { Logger } from './logger.ts'
import type { Warden } from './start-warden.ts'

/** Prints a configuration failure readably and exits; anything else is a crash. */
export function exitOnStartFailure(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`warden: refusing to start.\n${error.message}\n`)
    process.exit(1)
  }
  process.stderr.write(
    `warden: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
}

/** The one line that says the server is ready, plus a hint on a fresh development setup. */
export function announce(config: Config, logger: Logger, url: string) {
  logger.info(`warden listening on ${url}`, {
    url,
    issuer: config.issuer,
    audience: config.audience,
  })
  if (!config.production) {
    logger.info(
      'create a first admin: pnpm warden users create --email you@example.com --role admin --password-stdin < a-file-holding-the-password',
    )
  }
}

/**
 * Stops on SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), then close
 * the database. A second signal exits at once.
 */
export function handleShutdown(options: {
  warden: Warden
  logger: Logger
  stopAccepting: () => Promise<void>
  graceMs?: number
}) {
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    options.logger.info('shutting down', { signal })
    const deadline = setTimeout(() => {
      options.logger.warn('in-flight requests did not finish in time; exiting')
      process.exit(1)
    }, options.graceMs ?? 10_000)
    deadline.unref()
    options
      .stopAccepting()
      .then(() => options.warden.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        options.logger.error('shutdown failed', { error: String(error) })
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
