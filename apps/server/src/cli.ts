import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

import { FIRST_PARTY_CLIENT_ID, ROLES, scopeForRoles } from '@warden/api'
import {
  checkPasswordPolicy,
  createPasswordHasher,
  generateKeySet,
  type SigningAlgorithm,
} from '@warden/auth'
import {
  createDatabase,
  createServiceClient,
  createUser,
  findUserByEmail,
  findUserById,
  migrateToLatest,
  pruneExpired,
  recordAuditEvent,
  registerUser,
  revokeAllFamilies,
  setTokensValidAfter,
  type WardenDatabase,
} from '@warden/db'

import { ConfigError, configFromProcess, embeddedDatabaseDir } from './config.ts'
import {
  KeyRotationError,
  retiredKeyLifetime,
  rotateKeyFile,
  type KeyRotationResult,
  type KeyRotationStep,
} from './signing-keys.ts'

const HELP = `Usage: pnpm warden <command> [options]

Commands:
  migrate                                   apply pending database migrations
  keys generate --alg EdDSA|ES256|RS256|HS256 [--kid K] [--out FILE]
                                            print a new private JWK Set to stdout, or write it
                                            to FILE with mode 0600 (when redirecting stdout, run
                                            pnpm -s warden …: pnpm prints a banner otherwise)
  keys rotate [--file F] [--alg A]          stage a new key in the set in F (default:
                                            AUTH_SIGNING_KEYS_FILE): published in the JWKS,
                                            not signing yet
  keys rotate --promote [--force]           the staged key signs, the signer becomes
                                            verify-only (refused until 10 minutes after
                                            staging, unless --force)
  keys rotate --abort                       remove the staged key (it never signed)
  keys rotate --rollback                    the key retired last signs again
  keys prune                                drop verify-only keys whose tokens have all
                                            expired (every keys rotate step does it too)
                                            (servers reload the file within 2 s, or on SIGHUP)
  users create --email E --password-stdin --role R [--role R2] [--tenant T]
                                            create a user (in tenant T, else a new tenant)
  clients create --id ID --audience A [--audience A2] [--scope S]
                                            create a service client; prints its secret once
  sessions revoke --user ID|EMAIL           end every session and access token of a user
  prune                                     delete expired tokens, revocations and attempts

Configuration comes from the environment, as for the server (DATABASE_URL, WARDEN_DATA_DIR, …).`

class UsageError extends Error {}

const ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256']

function algorithm(value: string | undefined, fallback?: SigningAlgorithm): SigningAlgorithm {
  const alg = value ?? fallback
  if (alg === undefined) throw new UsageError('--alg is required (EdDSA, ES256, RS256 or HS256)')
  const match = ALGORITHMS.find((candidate) => candidate === alg)
  if (!match) throw new UsageError(`--alg must be one of ${ALGORITHMS.join(', ')}`)
  return match
}

/** The rotation step a `keys rotate` / `keys prune` command line asks for. */
function rotationStep(
  command: 'keys rotate' | 'keys prune',
  values: { promote?: boolean; abort?: boolean; rollback?: boolean; force?: boolean },
): KeyRotationStep {
  const chosen = (['promote', 'abort', 'rollback'] as const).filter((flag) => values[flag] === true)
  if (command === 'keys prune') {
    if (chosen.length > 0 || values.force === true)
      throw new UsageError('keys prune takes no step flag')
    return 'prune'
  }
  if (chosen.length > 1) throw new UsageError('choose one of --promote, --abort, --rollback')
  if (values.force === true && chosen[0] !== 'promote')
    throw new UsageError('--force goes with --promote only')
  return chosen[0] ?? 'stage'
}

/** What a rotation step did, and what the operator does next. */
function reportRotation(result: KeyRotationResult) {
  if (result.staged !== undefined) {
    note(`Staged key ${result.staged}: published in the JWKS, not signing yet.`)
    if (result.promotableAt !== undefined) {
      note(
        `Promote it from ${new Date(result.promotableAt * 1000).toISOString()} on (verifiers must have fetched the JWKS): pnpm warden keys rotate --promote`,
      )
    }
  }
  if (result.promoted !== undefined) note(`Key ${result.promoted} now signs.`)
  if (result.reinstated !== undefined) note(`Key ${result.reinstated} signs again.`)
  if (result.removed !== undefined) note(`Removed the staged key ${result.removed}.`)
  if (result.retired.length > 0) {
    note(
      `Now verify-only until every token it signed has expired: ${result.retired.join(', ')} (then pnpm warden keys prune)`,
    )
  }
  if (result.dropped.length > 0) {
    note(`Dropped (every token they signed has expired): ${result.dropped.join(', ')}`)
  }
  note(
    'Servers reload the key file within 2 seconds (or at once on kill -HUP <pid>); check each JWKS. Other services follow the JWKS.',
  )
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin reads the password from a pipe')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

async function withDatabase<T>(run: (db: WardenDatabase) => Promise<T>): Promise<T> {
  const config = configFromProcess()
  const db = await createDatabase({ url: config.databaseUrl, dataDir: embeddedDatabaseDir(config) })
  try {
    await migrateToLatest(db.kysely)
    return await run(db)
  } finally {
    await db.close()
  }
}

const out = (line: string) => process.stdout.write(`${line}\n`)
const note = (line: string) => process.stderr.write(`${line}\n`)

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        alg: { type: 'string' },
        kid: { type: 'string' },
        file: { type: 'string' },
        out: { type: 'string' },
        email: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        password: { type: 'string' },
        role: { type: 'string', multiple: true },
        tenant: { type: 'string' },
        id: { type: 'string' },
        audience: { type: 'string', multiple: true },
        scope: { type: 'string' },
        user: { type: 'string' },
        promote: { type: 'boolean' },
        abort: { type: 'boolean' },
        rollback: { type: 'boolean' },
        force: { type: 'boolean' },
      },
    })
  } catch (error) {
    // Unknown or malformed options are a usage error (exit 2), like an unknown command.
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv)
  const command = positionals.join(' ')
  if (values.help || command === '' || command === 'help') {
    out(HELP)
    return command === '' && !values.help ? 2 : 0
  }
  if (values.password !== undefined) {
    throw new UsageError(
      'passwords are never taken as arguments (they end up in shell history); use --password-stdin',
    )
  }

  switch (command) {
    case 'migrate': {
      const config = configFromProcess()
      const db = await createDatabase({
        url: config.databaseUrl,
        dataDir: embeddedDatabaseDir(config),
      })
      try {
        const { applied } = await migrateToLatest(db.kysely)
        note(applied.length === 0 ? 'Database is up to date.' : `Applied: ${applied.join(', ')}`)
      } finally {
        await db.close()
      }
      return 0
    }

    case 'keys generate': {
      const set = await generateKeySet(
        algorithm(values.alg),
        values.kid === undefined ? {} : { kid: values.kid },
      )
      const json = JSON.stringify(set, null, 2)
      if (values.out === undefined) {
        out(json)
        note(
          'This is a PRIVATE key set: keep it secret (AUTH_SIGNING_KEYS, or a 0600 file for AUTH_SIGNING_KEYS_FILE).',
        )
      } else {
        // Mode 0600 and never over an existing file; shell redirection would create it 0644.
        await writeFile(values.out, `${json}\n`, { mode: 0o600, flag: 'wx' })
        note(
          `Wrote a PRIVATE key set to ${values.out} (mode 0600). Point AUTH_SIGNING_KEYS_FILE at it.`,
        )
      }
      return 0
    }

    case 'keys rotate':
    case 'keys prune': {
      const config = configFromProcess()
      const file =
        values.file ?? (config.signingKeys.source === 'file' ? config.signingKeys.path : undefined)
      if (file === undefined)
        throw new UsageError('--file is required (or set AUTH_SIGNING_KEYS_FILE)')
      const step = rotationStep(command, values)
      const now = Date.now()
      let result: KeyRotationResult
      try {
        result = await rotateKeyFile(file, {
          step,
          now,
          keepRetiredSeconds: retiredKeyLifetime(config),
          alg: values.alg === undefined ? undefined : algorithm(values.alg),
          force: values.force,
        })
      } catch (error) {
        if (error instanceof KeyRotationError) {
          note(`warden: ${error.message}`)
          return 1
        }
        throw error
      }
      reportRotation(result)
      await withDatabase((db) =>
        recordAuditEvent(db.kysely, {
          type: 'key_rotated',
          at: new Date(now),
          details: {
            step,
            staged: result.staged ?? null,
            promoted: result.promoted ?? null,
            reinstated: result.reinstated ?? null,
            removed: result.removed ?? null,
            retired: result.retired.join(' '),
            dropped: result.dropped.join(' '),
          },
        }),
      )
      return 0
    }

    case 'users create': {
      if (values.email === undefined) throw new UsageError('--email is required')
      if (!values['password-stdin']) throw new UsageError('--password-stdin is required')
      const roles = values.role ?? ['member']
      const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role))
      if (unknown.length > 0)
        throw new UsageError(`unknown role(s): ${unknown.join(', ')} (known: ${ROLES.join(', ')})`)
      const password = await readStdin()
      const policy = checkPasswordPolicy(password, { context: [values.email.split('@')[0] ?? ''] })
      if (!policy.ok) throw new UsageError(`password refused: ${policy.reason}`)
      const passwordHash = await createPasswordHasher().hash(policy.normalized)
      const email = values.email
      const tenantId = values.tenant
      return withDatabase(async (db) => {
        const now = new Date()
        const result =
          tenantId === undefined
            ? await registerUser(db.kysely, {
                email,
                passwordHash,
                tenantName: email.split('@')[0] ?? email,
                roles,
                now,
              })
            : await createUser(db.kysely, { email, passwordHash, tenantId, roles, now })
        if (!result.ok) {
          note(`A user with the email ${email} already exists.`)
          return 1
        }
        out(
          JSON.stringify({
            id: result.user.id,
            email: result.user.email,
            roles,
            tenantId: result.user.tenantId,
            scope: scopeForRoles(roles),
          }),
        )
        return 0
      })
    }

    case 'clients create': {
      const id = values.id
      if (id === undefined || !/^[A-Za-z0-9._-]{3,64}$/.test(id)) {
        throw new UsageError('--id is required: 3 to 64 of A-Z a-z 0-9 . _ -')
      }
      // A client's tokens carry its id as `sub` and `client_id`: it must never look like the
      // first-party app's id or a user's id in audit trails and policies.
      if (id === FIRST_PARTY_CLIENT_ID || /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id)) {
        throw new UsageError(
          `--id ${id} is reserved (the first-party client id, or shaped like a user id)`,
        )
      }
      const audiences = values.audience ?? []
      if (audiences.length === 0)
        throw new UsageError('--audience is required (repeat it for several)')
      const scopes = [...new Set((values.scope ?? '').split(/[\s,]+/).filter(Boolean))]
      const secret = `wcs_${randomBytes(32).toString('base64url')}`
      const secretHash = await createPasswordHasher().hash(secret)
      return withDatabase(async (db) => {
        const result = await createServiceClient(db.kysely, {
          id,
          secretHash,
          audiences,
          scopes,
          now: new Date(),
        })
        if (!result.ok) {
          note(`A client with the id ${id} already exists.`)
          return 1
        }
        out(
          JSON.stringify({
            client_id: id,
            client_secret: secret,
            audiences,
            scope: scopes.join(' '),
          }),
        )
        note(
          'The secret is shown once and stored only as an argon2id hash. Keep it in a secret store.',
        )
        return 0
      })
    }

    case 'sessions revoke': {
      const who = values.user
      if (who === undefined) throw new UsageError('--user is required (an id or an email)')
      return withDatabase(async (db) => {
        const user = who.includes('@')
          ? await findUserByEmail(db.kysely, who)
          : await findUserById(db.kysely, who)
        if (!user) {
          note(`No user ${who}.`)
          return 1
        }
        const now = new Date()
        await setTokensValidAfter(db.kysely, { userId: user.id, at: now })
        const families = await revokeAllFamilies(db.kysely, {
          userId: user.id,
          reason: 'revoked_by_admin',
          now,
        })
        await recordAuditEvent(db.kysely, {
          type: 'logout_all',
          at: now,
          actorUserId: user.id,
          reason: 'cli',
          details: { sessions: families },
        })
        note(
          `Revoked ${families} session(s) and every access token issued to ${user.email} before now.`,
        )
        return 0
      })
    }

    case 'prune':
      return withDatabase(async (db) => {
        out(JSON.stringify(await pruneExpired(db.kysely, { now: new Date() })))
        return 0
      })

    default:
      throw new UsageError(`unknown command: ${command}`)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(
        `warden: ${error.message}\n\n${error instanceof UsageError ? 'See pnpm warden --help.\n' : ''}`,
      )
      process.exit(2)
    }
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`warden: ${message}\n`)
    process.exit(1)
  },
)
