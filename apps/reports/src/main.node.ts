import { serve } from '@hono/node-server'

import { createRemoteVerifier } from '@warden/auth'

import { createReportsApp } from './app.ts'
import { ReportsConfigError, reportsConfigFromProcess } from './config.ts'
import { discoverWarden } from './discover-warden.ts'
import { createLogger } from './logger.ts'

try {
  const config = reportsConfigFromProcess()
  const logger = createLogger({ level: config.logLevel })
  const endpoints = await discoverWarden({ wardenUrl: config.wardenUrl })
  const verifier = createRemoteVerifier({
    jwksUrl: endpoints.jwksUri,
    issuer: endpoints.issuer,
    audience: config.audience,
  })
  // Fail at start, not at the first request, when the JWKS is out of reach.
  await verifier.reload()
  const app = createReportsApp({
    verifier,
    mainApiUrl: config.wardenUrl,
    tokenUrl: endpoints.tokenEndpoint,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    apiAudience: config.apiAudience,
    logger,
  })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address
    const url = `http://${host}:${info.port}`
    logger.info(`warden reports listening on ${url}`, {
      url,
      audience: config.audience,
      issuer: endpoints.issuer,
    })
  })
  const stop = (signal: string) => {
    logger.info('shutting down', { signal })
    setTimeout(() => process.exit(1), 10_000).unref()
    server.close(() => process.exit(0))
    if ('closeIdleConnections' in server) server.closeIdleConnections()
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
} catch (error) {
  const message =
    error instanceof ReportsConfigError
      ? `refusing to start.\n${error.message}`
      : `failed to start: ${error instanceof Error ? error.message : String(error)}`
  process.stderr.write(`warden reports: ${message}\n`)
  process.exit(1)
}
