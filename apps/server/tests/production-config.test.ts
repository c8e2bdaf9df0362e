import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { generateKeySet } from '@warden/auth'

import { ConfigError, createLogger, parseConfig } from '../src/index.ts'
import { loadSigningKeys } from '../src/signing-keys.ts'

const cwd = () => mkdtempSync(join(tmpdir(), 'warden-config-'))
const silent = createLogger({ level: 'silent' })

function problemsOf(run: () => unknown): string[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems]
    throw error
  }
  return []
}

async function keyProblems(env: Record<string, string>): Promise<string[]> {
  try {
    await loadSigningKeys(parseConfig(env, { cwd: cwd() }), silent)
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems]
    throw error
  }
  return []
}

describe('configuration', () => {
  it('works with nothing set outside production: the documented defaults', () => {
    const config = parseConfig({}, { cwd: '/srv/warden' })
    expect(config).toMatchObject({
      production: false,
      port: 3000,
      host: '127.0.0.1',
      issuer: 'http://localhost:3000',
      audience: 'warden-api',
      dataDir: '/srv/warden/.data',
      accessTokenTtl: 900,
      refreshTokenTtl: 604_800,
      refreshReuseInterval: 10,
      clockSkew: 0,
      signingKeys: { source: 'development' },
    })
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('in production, reports every missing piece at once, each with its variable', () => {
    const problems = problemsOf(() => parseConfig({ NODE_ENV: 'production' }, { cwd: cwd() }))
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(
      expect.arrayContaining([
        'AUTH_ISSUER',
        'AUTH_AUDIENCE',
        'AUTH_SIGNING_KEYS',
        'TLS_CERT_FILE/TLS_KEY_FILE or TRUST_PROXY',
      ]),
    )
    expect(problems).toHaveLength(4)
  })

  it('refuses an access-token lifetime over an hour without the explicit override', () => {
    expect(problemsOf(() => parseConfig({ ACCESS_TOKEN_TTL: '7200' }, { cwd: cwd() }))[0]).toMatch(
      /^ACCESS_TOKEN_TTL/,
    )
    expect(
      parseConfig({ ACCESS_TOKEN_TTL: '7200', ALLOW_LONG_ACCESS_TOKENS: 'true' }, { cwd: cwd() })
        .accessTokenTtl,
    ).toBe(7200)
  })

  it('rejects malformed values with the variable name', () => {
    const problems = problemsOf(() =>
      parseConfig(
        { PORT: 'eighty', CORS_ORIGINS: 'https://ok.example,not a url', DATABASE_URL: 'mysql://x' },
        { cwd: cwd() },
      ),
    )
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'CORS_ORIGINS.1',
      'DATABASE_URL',
      'PORT',
    ])
  })

  it('refuses a development key in production', async () => {
    const keys = await generateKeySet('EdDSA', { development: true })
    const problems = await keyProblems({
      NODE_ENV: 'production',
      AUTH_ISSUER: 'https://auth.example',
      AUTH_AUDIENCE: 'warden-api',
      TRUST_PROXY: 'true',
      AUTH_SIGNING_KEYS: JSON.stringify(keys),
    })
    expect(problems[0]).toMatch(/^AUTH_SIGNING_KEYS: development key/)
  })

  it('refuses a weak HS256 secret everywhere, naming the key', async () => {
    const weak = {
      keys: [
        {
          kty: 'oct',
          kid: 'main',
          alg: 'HS256',
          k: Buffer.from('your-256-bit-secret-your-256-bit').toString('base64url'),
        },
      ],
    }
    const problems = await keyProblems({ AUTH_SIGNING_KEYS: JSON.stringify(weak) })
    expect(problems[0]).toMatch(/^AUTH_SIGNING_KEYS: .*main/)
    const short = {
      keys: [
        { kty: 'oct', kid: 'short', alg: 'HS256', k: Buffer.alloc(16, 7).toString('base64url') },
      ],
    }
    expect((await keyProblems({ AUTH_SIGNING_KEYS: JSON.stringify(short) }))[0]).toMatch(/short/)
  })

  it('accepts a strong key from a file in production', async () => {
    const dir = cwd()
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(await generateKeySet('ES256')))
    const env = {
      NODE_ENV: 'production',
      AUTH_ISSUER: 'https://auth.example',
      AUTH_AUDIENCE: 'warden-api',
      TRUST_PROXY: 'true',
      AUTH_SIGNING_KEYS_FILE: 'keys.json',
    }
    const keys = await loadSigningKeys(parseConfig(env, { cwd: dir }), silent)
    expect(keys.signingKey.alg).toBe('ES256')
  })

  it('generates the development key once and warns at every start', async () => {
    const dir = cwd()
    const lines: string[] = []
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) })
    const config = parseConfig({}, { cwd: dir })
    const first = await loadSigningKeys(config, logger)
    const second = await loadSigningKeys(config, logger)
    expect(second.signingKey.kid).toBe(first.signingKey.kid)
    expect(first.signingKey.kid).toMatch(/^dev-/)
    expect(lines.filter((line) => line.includes('DEVELOPMENT signing key'))).toHaveLength(2)
  })
})
