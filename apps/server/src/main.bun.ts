import { readFileSync } from 'node:fs'

import { announce, exitOnStartFailure, handleShutdown } from './boot.ts'
import { configFromProcess } from './config.ts'
import { createLogger } from './logger.ts'
import { startWarden } from './start-warden.ts'

try {
  const config = configFromProcess()
  const logger = createLogger({ level: config.logLevel })
  const warden = await startWarden(config, {
    logger,
    socketAddress: (c) => (c.env as { remoteAddress?: string } | undefined)?.remoteAddress,
  })
  const tls = config.tls
  const server = Bun.serve({
    fetch: (request, bunServer) =>
      warden.app.fetch(request, { remoteAddress: bunServer.requestIP(request)?.address }),
    port: config.port,
    hostname: config.host,
    ...(tls ? { tls: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
  })
  announce(config, logger, server.url.href.replace(/\/$/, ''))
  handleShutdown({ warden, logger, stopAccepting: () => server.stop(false) })
} catch (error) {
  exitOnStartFailure(error)
}
