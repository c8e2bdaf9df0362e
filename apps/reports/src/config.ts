import { readFileSync } from 'node:fs'

import { z } from 'zod'

/** The reports service's configuration, parsed once from the environment at start and frozen. */
export interface ReportsConfig {
  readonly production: boolean
  readonly port: number
  readonly host: string
  /** The `aud` this service accepts (`REPORTS_AUDIENCE`); tokens for any other are refused. */
  readonly audience: string
  /** Warden's issuer URL (`WARDEN_URL`): metadata, JWKS, token endpoint and API are found from it. */
  readonly wardenUrl: string
  /** The audience of Warden's API, for this service's own tokens (`WARDEN_API_AUDIENCE`). */
  readonly apiAudience: string
  /** This service's OAuth client at Warden (`REPORTS_CLIENT_ID`). */
  readonly clientId: string
  /** Its secret (`REPORTS_CLIENT_SECRET`, or the file `REPORTS_CLIENT_SECRET_FILE` names). */
  readonly clientSecret: string
  readonly logLevel: 'info' | 'warn' | 'error' | 'silent'
}

/** Thrown when the environment is unusable; lists every problem, each with its variable. */
export class ReportsConfigError extends Error {
  override readonly name = 'ReportsConfigError'
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.problems = problems
  }
}

const schema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: z
    .string()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .refine((port) => port < 65536, 'must be a port number')
    .optional(),
  HOST: z.string().min(1).optional(),
  REPORTS_AUDIENCE: z.string().min(1).max(200).optional(),
  WARDEN_URL: z.url({ protocol: /^https?$/ }).optional(),
  WARDEN_API_AUDIENCE: z.string().min(1).max(200).optional(),
  REPORTS_CLIENT_ID: z.string().min(1).max(128).optional(),
  REPORTS_CLIENT_SECRET: z.string().min(1).max(256).optional(),
  REPORTS_CLIENT_SECRET_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['info', 'warn', 'error', 'silent']).optional(),
})

/**
 * Parses the environment into a frozen {@link ReportsConfig}, reporting every problem at once.
 * The service holds no signing key: it needs Warden's URL and its own client credentials only.
 *
 * @throws ReportsConfigError listing each problem with its variable's name
 */
export function parseReportsConfig(
  env: Record<string, string | undefined>,
  options: { readFile?: (path: string) => string } = {},
): ReportsConfig {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    throw new ReportsConfigError(
      parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
      ),
    )
  }
  const e = parsed.data
  const problems: string[] = []
  const production = e.NODE_ENV === 'production'
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'))

  if (e.WARDEN_URL === undefined) problems.push('WARDEN_URL: required (the Warden issuer URL)')
  else if (production && !e.WARDEN_URL.startsWith('https:')) {
    problems.push('WARDEN_URL: must be an https:// URL in production')
  }
  if (e.REPORTS_CLIENT_ID === undefined) problems.push('REPORTS_CLIENT_ID: required')
  let clientSecret = e.REPORTS_CLIENT_SECRET
  if (clientSecret !== undefined && e.REPORTS_CLIENT_SECRET_FILE !== undefined) {
    problems.push('REPORTS_CLIENT_SECRET, REPORTS_CLIENT_SECRET_FILE: set one, not both')
  } else if (e.REPORTS_CLIENT_SECRET_FILE !== undefined) {
    try {
      clientSecret = readFile(e.REPORTS_CLIENT_SECRET_FILE).replace(/\r?\n$/, '')
      if (clientSecret === '') problems.push('REPORTS_CLIENT_SECRET_FILE: the file is empty')
    } catch {
      problems.push(`REPORTS_CLIENT_SECRET_FILE: cannot read ${e.REPORTS_CLIENT_SECRET_FILE}`)
    }
  } else if (clientSecret === undefined) {
    problems.push('REPORTS_CLIENT_SECRET or REPORTS_CLIENT_SECRET_FILE: required')
  }

  if (
    problems.length > 0 ||
    e.WARDEN_URL === undefined ||
    e.REPORTS_CLIENT_ID === undefined ||
    clientSecret === undefined
  ) {
    throw new ReportsConfigError(problems)
  }
  return Object.freeze({
    production,
    port: e.PORT ?? 3100,
    host: e.HOST ?? '127.0.0.1',
    audience: e.REPORTS_AUDIENCE ?? 'warden-reports',
    wardenUrl: e.WARDEN_URL,
    apiAudience: e.WARDEN_API_AUDIENCE ?? 'warden-api',
    clientId: e.REPORTS_CLIENT_ID,
    clientSecret,
    logLevel: e.LOG_LEVEL ?? 'info',
  })
}

/** Reads the process environment once; the only place in the service that touches `process.env`. */
export function reportsConfigFromProcess(): ReportsConfig {
  return parseReportsConfig(process.env)
}
