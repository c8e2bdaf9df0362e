import { readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'

import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'

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
    socketAddress: (c) => getConnInfo(c).remote.address,
  })
  const tls = config.tls
  const server = serve(
    {
      fetch: warden.app.fetch,
      port: config.port,
      hostname: config.host,
      ...(tls
        ? {
            createServer: createHttpsServer,
            serverOptions: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
          }
        : {}),
    },
    (info) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address
      announce(config, logger, `${tls ? 'https' : 'http'}://${host}:${info.port}`)
    },
  )
  const reload = () => warden.reloadSigningKeys()
  reloadSigningKeysOnSignal({ reload, logger })
  if (config.signingKeys.source === 'file') {
    watchSigningKeyFile({ file: config.signingKeys.path, reload })
  }
  handleShutdown({
    warden,
    logger,
    stopAccepting: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        // Keep-alive connections that carry no request would hold close() open.
        if ('closeIdleConnections' in server) server.closeIdleConnections()
      }),
  })
} catch (error) {
  exitOnStartFailure(error)
}
