import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { z } from 'zod'

import { USER_SERVICE_AUDIENCES } from '@warden/api'

/** The server's configuration, parsed once from the environment at start and frozen. */
export interface Config {
  readonly production: boolean
  readonly port: number
  readonly host: string
  /** `postgres://…`, `memory:`, or undefined for embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined
  readonly dataDir: string
  readonly issuer: string
  readonly audience: string
  /**
   * Other services' audiences users may get access tokens for at the token endpoint (RFC 8707,
   * `AUTH_USER_AUDIENCES`); each has a scope table in `@warden/api`.
   */
  readonly userAudiences: readonly string[]
  /** Where the signing keys come from; the keys themselves are loaded by `loadSigningKeys`. */
  readonly signingKeys:
    | { readonly source: 'env'; readonly json: string }
    | { readonly source: 'file'; readonly path: string }
    | { readonly source: 'development' }
  readonly accessTokenTtl: number
  readonly refreshTokenTtl: number
  readonly refreshFamilyMaxAge: number
  readonly refreshReuseInterval: number
  readonly clockSkew: number
  readonly corsOrigins: readonly string[]
  readonly trustProxy: boolean
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent'
  /** The built web app served at `/` (a folder holding `index.html`), or undefined for none. */
  readonly webDir: string | undefined
}

/** Thrown when the environment is unusable; lists every problem, each with its variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.problems = problems
  }
}

const seconds = (fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .optional()
    .transform((value) => value ?? fallback)

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((value) => value === 'true' || value === '1')

const origin = z.string().transform((value, ctx) => {
  try {
    const url = new URL(value)
    if (url.origin === value.replace(/\/$/, '')) return url.origin
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: `"${value}" is not an origin (scheme://host[:port])` })
  return z.NEVER
})

const schema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .refine((port) => port < 65536, 'must be a port number')
    .optional(),
  HOST: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .refine(
      (url) => url === 'memory:' || /^postgres(ql)?:\/\//.test(url),
      'must be postgres://…, postgresql://… or memory:',
    )
    .optional(),
  WARDEN_DATA_DIR: z.string().min(1).optional(),
  AUTH_ISSUER: z.url().optional(),
  AUTH_AUDIENCE: z.string().min(1).max(200).optional(),
  AUTH_USER_AUDIENCES: z
    .string()
    .optional()
    .transform((value) => [
      ...new Set(
        (value ?? '')
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      ),
    ]),
  AUTH_SIGNING_KEYS: z.string().min(1).optional(),
  AUTH_SIGNING_KEYS_FILE: z.string().min(1).optional(),
  ACCESS_TOKEN_TTL: seconds(900),
  ALLOW_LONG_ACCESS_TOKENS: flag,
  REFRESH_TOKEN_TTL: seconds(604_800),
  REFRESH_FAMILY_MAX_AGE: seconds(30 * 86_400),
  REFRESH_REUSE_INTERVAL: seconds(10),
  CLOCK_SKEW: seconds(0),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(origin)),
  TRUST_PROXY: flag,
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
  WARDEN_WEB_DIR: z.string().min(1).optional(),
})

/**
 * Parses the environment into a frozen `Config`, checking every variable and reporting every
 * problem at once. In production it refuses what is only acceptable on a developer's machine.
 *
 * Relative paths are resolved against `cwd` (the directory `pnpm` was started from).
 * `defaultWebDir` is the web app folder served when `WARDEN_WEB_DIR` is unset, if it was built.
 *
 * @throws ConfigError listing each problem with its variable's name
 */
export function parseConfig(
  env: Record<string, string | undefined>,
  options: { cwd: string; defaultWebDir?: string | undefined },
): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
      ),
    )
  }
  const e = parsed.data
  const problems: string[] = []
  const production = e.NODE_ENV === 'production'
  const port = e.PORT ?? 3000
  const path = (value: string) => (isAbsolute(value) ? value : resolve(options.cwd, value))

  if (production && e.AUTH_ISSUER === undefined)
    problems.push('AUTH_ISSUER: required in production')
  if (production && e.AUTH_AUDIENCE === undefined)
    problems.push('AUTH_AUDIENCE: required in production')
  const audience = e.AUTH_AUDIENCE ?? 'warden-api'
  for (const userAudience of e.AUTH_USER_AUDIENCES) {
    if (userAudience === audience) {
      problems.push(
        `AUTH_USER_AUDIENCES: ${userAudience} is AUTH_AUDIENCE itself; list only other services`,
      )
    } else if (!USER_SERVICE_AUDIENCES.includes(userAudience)) {
      problems.push(
        `AUTH_USER_AUDIENCES: users have no scopes defined for ${userAudience} (known: ${USER_SERVICE_AUDIENCES.join(', ')})`,
      )
    }
  }

  let signingKeys: Config['signingKeys'] = { source: 'development' }
  if (e.AUTH_SIGNING_KEYS !== undefined && e.AUTH_SIGNING_KEYS_FILE !== undefined) {
    problems.push('AUTH_SIGNING_KEYS, AUTH_SIGNING_KEYS_FILE: set one, not both')
  } else if (e.AUTH_SIGNING_KEYS !== undefined) {
    signingKeys = { source: 'env', json: e.AUTH_SIGNING_KEYS }
  } else if (e.AUTH_SIGNING_KEYS_FILE !== undefined) {
    const file = path(e.AUTH_SIGNING_KEYS_FILE)
    if (!existsSync(file)) problems.push(`AUTH_SIGNING_KEYS_FILE: ${file} does not exist`)
    signingKeys = { source: 'file', path: file }
  } else if (production) {
    problems.push(
      'AUTH_SIGNING_KEYS: required in production (a JWK Set; generate one with `pnpm warden keys generate --alg EdDSA`)',
    )
  }

  if (e.ACCESS_TOKEN_TTL < 1) problems.push('ACCESS_TOKEN_TTL: must be at least 1 second')
  if (e.ACCESS_TOKEN_TTL > 3600 && !e.ALLOW_LONG_ACCESS_TOKENS) {
    problems.push('ACCESS_TOKEN_TTL: above 3600 seconds needs ALLOW_LONG_ACCESS_TOKENS=true')
  }
  if (e.ACCESS_TOKEN_TTL > 86_400) problems.push('ACCESS_TOKEN_TTL: at most 86400 seconds')
  if (e.REFRESH_TOKEN_TTL < 60) problems.push('REFRESH_TOKEN_TTL: must be at least 60 seconds')
  if (e.REFRESH_FAMILY_MAX_AGE < e.REFRESH_TOKEN_TTL) {
    problems.push('REFRESH_FAMILY_MAX_AGE: must not be shorter than REFRESH_TOKEN_TTL')
  }
  if (e.REFRESH_REUSE_INTERVAL > 60) problems.push('REFRESH_REUSE_INTERVAL: at most 60 seconds')
  if (e.CLOCK_SKEW > 300) problems.push('CLOCK_SKEW: at most 300 seconds')

  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE, TLS_KEY_FILE: set both or neither')
  }
  const tls =
    e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined
      ? { certFile: path(e.TLS_CERT_FILE), keyFile: path(e.TLS_KEY_FILE) }
      : undefined
  if (production && !tls && !e.TRUST_PROXY) {
    problems.push(
      'TLS_CERT_FILE/TLS_KEY_FILE or TRUST_PROXY: production needs HTTPS, served directly or by a trusted proxy',
    )
  }
  if (production && e.AUTH_ISSUER?.startsWith('http:') === true) {
    problems.push('AUTH_ISSUER: must be an https:// URL in production')
  }

  let webDir: string | undefined
  if (e.WARDEN_WEB_DIR !== undefined && e.WARDEN_WEB_DIR !== 'none') {
    webDir = path(e.WARDEN_WEB_DIR)
    if (!existsSync(join(webDir, 'index.html'))) {
      problems.push(`WARDEN_WEB_DIR: ${webDir} holds no index.html (is the web app built?)`)
    }
  } else if (
    e.WARDEN_WEB_DIR === undefined &&
    options.defaultWebDir !== undefined &&
    existsSync(join(options.defaultWebDir, 'index.html'))
  ) {
    webDir = options.defaultWebDir
  }

  if (problems.length > 0) throw new ConfigError(problems)

  return Object.freeze({
    production,
    port,
    host: e.HOST ?? '127.0.0.1',
    databaseUrl: e.DATABASE_URL,
    dataDir: path(e.WARDEN_DATA_DIR ?? './.data'),
    issuer: e.AUTH_ISSUER ?? `http://localhost:${port}`,
    audience,
    userAudiences: Object.freeze(e.AUTH_USER_AUDIENCES),
    signingKeys,
    accessTokenTtl: e.ACCESS_TOKEN_TTL,
    refreshTokenTtl: e.REFRESH_TOKEN_TTL,
    refreshFamilyMaxAge: e.REFRESH_FAMILY_MAX_AGE,
    refreshReuseInterval: e.REFRESH_REUSE_INTERVAL,
    clockSkew: e.CLOCK_SKEW,
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    trustProxy: e.TRUST_PROXY,
    tls: tls && Object.freeze(tls),
    logLevel: e.LOG_LEVEL ?? 'info',
    webDir,
  })
}

/** The embedded database's folder inside the data folder (the development key sits beside it). */
export function embeddedDatabaseDir(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'pglite')
}

/** Reads the process environment once; the only place in the server that touches `process.env`. */
export function configFromProcess(): Config {
  return parseConfig(process.env, {
    cwd: process.env['INIT_CWD'] ?? process.cwd(),
    // apps/web's build output, from this file in apps/server/src (or a bundle in apps/server/dist).
    defaultWebDir: fileURLToPath(new URL('../../web/dist', import.meta.url)),
  })
}
