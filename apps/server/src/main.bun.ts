import { readFileSync } from 'node:fs'

import type { Server } from 'bun'

import { announce, exitOnStartFailure, handleShutdown } from './boot.ts'
import { configFromProcess } from './config.ts'
import { createLogger } from './logger.ts'
import { reloadSigningKeysOnSignal, watchSigningKeyFile } from './signing-keys.ts'
import { startWarden } from './start-warden.ts'

try {
  const config = configFromProcess()
  const logger = createLogger({ level: config.logLevel })
  const warden = await startWarden(config, {
    logger,
    // The Bun server is the app's `env`; the address is looked up only by the procedures that
    // need the client IP (login throttling), not on every request.
    socketAddress: (c) => (c.env as Server<undefined> | undefined)?.requestIP(c.req.raw)?.address,
  })
  const tls = config.tls
  const server = Bun.serve({
    fetch: (request, bunServer) => warden.app.fetch(request, bunServer),
    port: config.port,
    hostname: config.host,
    ...(tls ? { tls: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
  })
  announce(config, logger, server.url.href.replace(/\/$/, ''))
  const reload = () => warden.reloadSigningKeys()
  reloadSigningKeysOnSignal({ reload, logger })
  if (config.signingKeys.source === 'file') {
    watchSigningKeyFile({ file: config.signingKeys.path, reload })
  }
  handleShutdown({ warden, logger, stopAccepting: () => server.stop(false) })
} catch (error) {
  exitOnStartFailure(error)
}
