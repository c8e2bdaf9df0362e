import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { generateKeySet, loadKeySet } from '@warden/auth'

const cli = join(import.meta.dirname, '../src/cli.ts')
const tsx = join(import.meta.dirname, '../node_modules/.bin/tsx')

function warden(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(tsx, [cli, ...args], {
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.stdin ?? '')
  })
}

// Each case spawns the CLI (tsx start-up, and PGlite for the database commands): slow but real.
describe('pnpm warden (the admin CLI)', { timeout: 120_000 }, () => {
  it('--help prints the commands and exits 0; no command exits 2; an unknown one exits 2', async () => {
    const help = await warden(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('keys generate --alg EdDSA|ES256|RS256|HS256')
    expect((await warden([])).code).toBe(2)
    const unknown = await warden(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command: frobnicate')
    const badOption = await warden(['migrate', '--nope'])
    expect(badOption.code).toBe(2)
  })

  it('keys generate prints a private JWK Set the server accepts, for every algorithm', async () => {
    for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256'] as const) {
      const result = await warden(['keys', 'generate', '--alg', alg])
      expect(result.code, alg).toBe(0)
      const keys = await loadKeySet(result.stdout)
      expect(keys.signingKey.alg).toBe(alg)
      expect(result.stderr).toContain('PRIVATE')
    }
    expect((await warden(['keys', 'generate', '--alg', 'none'])).code).toBe(2)
  })

  it('keys generate --out writes a 0600 file and never overwrites one', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'warden-cli-')), 'keys.json')
    expect((await warden(['keys', 'generate', '--alg', 'EdDSA', '--out', file])).code).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    await loadKeySet(readFileSync(file, 'utf8'))
    expect((await warden(['keys', 'generate', '--alg', 'EdDSA', '--out', file])).code).toBe(1)
  })

  it('keys rotate stages a key, --promote makes it sign (not too early), --rollback and --abort undo, keys prune keeps live keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cli-'))
    const file = join(dir, 'keys.json')
    const env = { WARDEN_DATA_DIR: dir, AUTH_SIGNING_KEYS_FILE: file }
    const original = await generateKeySet('EdDSA', { kid: 'old-key' })
    writeFileSync(file, JSON.stringify(original), { mode: 0o600 })
    const load = () => loadKeySet(readFileSync(file, 'utf8'))

    const staged = await warden(['keys', 'rotate'], { env })
    expect(staged.code, staged.stderr).toBe(0)
    expect(staged.stderr).toContain('kill -HUP')
    expect(staged.stderr).toContain('--promote')
    const afterStage = await load()
    const newKid = afterStage.keys[0]?.kid
    expect(afterStage.signingKey.kid).toBe('old-key')
    expect(afterStage.keys[0]?.stagedAt).toBeTypeOf('number')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect((await warden(['keys', 'rotate'], { env })).code).toBe(1) // one staged key at a time

    const early = await warden(['keys', 'rotate', '--promote'], { env })
    expect(early.code).toBe(1)
    expect(early.stderr).toContain('--force')
    expect((await load()).signingKey.kid).toBe('old-key')
    const promoted = await warden(['keys', 'rotate', '--promote', '--force'], { env })
    expect(promoted.code, promoted.stderr).toBe(0)
    const afterPromote = await load()
    expect(afterPromote.signingKey.kid).toBe(newKid)
    expect(afterPromote.get('old-key')).toMatchObject({ retired: true })
    expect(afterPromote.get('old-key')?.retiredAt).toBeTypeOf('number')

    expect((await warden(['keys', 'prune'], { env })).code).toBe(0)
    expect((await load()).keys).toHaveLength(2)
    expect((await warden(['keys', 'rotate', '--rollback'], { env })).code).toBe(0)
    expect((await load()).signingKey.kid).toBe('old-key')

    expect((await warden(['keys', 'rotate', '--file', file], { env })).code).toBe(0)
    expect((await load()).keys).toHaveLength(3)
    expect((await warden(['keys', 'rotate', '--abort'], { env })).code).toBe(0)
    expect((await load()).keys.map((key) => key.kid)).toEqual(['old-key', newKid])
    expect((await warden(['keys', 'rotate', '--abort', '--promote'], { env })).code).toBe(2)
    expect((await warden(['keys', 'rotate', '--force'], { env })).code).toBe(2)
  })

  it('users create reads the password from stdin only, enforces the policy, refuses duplicates', async () => {
    const env = { WARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), 'warden-cli-')) }
    const onArgv = await warden(
      ['users', 'create', '--email', 'a@example.com', '--password', 'hunter2hunter2'],
      { env },
    )
    expect(onArgv.code).toBe(2)
    expect(onArgv.stderr).toContain('--password-stdin')
    const weak = await warden(['users', 'create', '--email', 'a@example.com', '--password-stdin'], {
      env,
      stdin: 'password123\n',
    })
    expect(weak.code).toBe(2)
    const args = [
      'users',
      'create',
      '--email',
      'root@example.com',
      '--role',
      'admin',
      '--password-stdin',
    ]
    const created = await warden(args, { env, stdin: 'an admin passphrase 99\n' })
    expect(created.code, created.stderr).toBe(0)
    expect(JSON.parse(created.stdout)).toMatchObject({
      email: 'root@example.com',
      roles: ['admin'],
    })
    expect(created.stdout + created.stderr).not.toContain('an admin passphrase')
    const again = await warden(args, { env, stdin: 'an admin passphrase 99\n' })
    expect(again.code).toBe(1)

    const revoke = await warden(['sessions', 'revoke', '--user', 'root@example.com'], { env })
    expect(revoke.code, revoke.stderr).toBe(0)
    expect(
      (await warden(['sessions', 'revoke', '--user', 'nobody@example.com'], { env })).code,
    ).toBe(1)
  })

  it('clients create prints the secret once and stores only its hash', async () => {
    const env = { WARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), 'warden-cli-')) }
    const args = [
      'clients',
      'create',
      '--id',
      'reports',
      '--audience',
      'warden-api',
      '--scope',
      'invoices:read',
    ]
    const result = await warden(args, { env })
    expect(result.code, result.stderr).toBe(0)
    const printed = JSON.parse(result.stdout) as { client_id: string; client_secret: string }
    expect(printed.client_id).toBe('reports')
    expect(printed.client_secret).toMatch(/^wcs_[A-Za-z0-9_-]{43}$/)
    expect((await warden(args, { env })).code).toBe(1)
    expect((await warden(['clients', 'create', '--id', 'x'], { env })).code).toBe(2)
    for (const reserved of ['warden', '0190d3a4-7c1e-7a5e-9b1c-2f3a4b5c6d7e']) {
      const taken = await warden(
        ['clients', 'create', '--id', reserved, '--audience', 'warden-api'],
        { env },
      )
      expect(taken.code, reserved).toBe(2)
      expect(taken.stderr).toContain('reserved')
    }
  })
})
