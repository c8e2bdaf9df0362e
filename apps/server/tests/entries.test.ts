import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { buildServer, NODE_FLAGS } from '../scripts/build.ts'
import { signUpOverHttp } from './harness.ts'

/**
 * The real entry points, each in its own process as `pnpm start`, `pnpm dev` and
 * `pnpm start:bun` run them, on the zero-configuration default (embedded PGlite and a
 * development key in a fresh data folder): a smoke test of health, JWKS, register (with the
 * common-password list, which the build leaves in `@warden/auth`), login, a protected call, the
 * challenge of an anonymous one, and a graceful exit on SIGTERM. The built entry is built here,
 * by the build script, into a folder of its own.
 */
const serverDir = fileURLToPath(new URL('..', import.meta.url))
// Bun from the npm registry (a devDependency), as CI has it.
const bun = join(serverDir, 'node_modules/bun/bin/bun.exe')
// Directly inside apps/server, as the build requires (see scripts/build.ts).
const buildDir = join(serverDir, `.test-dist-${randomBytes(4).toString('hex')}`)
const entries = {
  'node (built)': {
    command: process.execPath,
    args: [...NODE_FLAGS, join(buildDir, 'main.node.js')],
  },
  'node (sources, tsx)': {
    command: process.execPath,
    args: ['--import', 'tsx', 'src/main.node.ts'],
  },
  bun: { command: bun, args: ['src/main.bun.ts'] },
}

beforeAll(() => buildServer(buildDir))
afterAll(() => rmSync(buildDir, { recursive: true, force: true }))

const children = new Set<ChildProcess>()
afterEach(() => {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
})

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

/** Starts an entry and resolves with its URL once it logs that it listens. */
function start(runtime: keyof typeof entries, dataDir: string) {
  const { command, args } = entries[runtime]
  const child = spawn(command, args, {
    cwd: serverDir,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      WARDEN_DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  const url = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = /"message":"warden listening on [^"]*","url":"([^"]+)"/.exec(output)
      if (match?.[1] !== undefined) resolve(match[1])
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.once('exit', (code) => {
      reject(new Error(`the ${runtime} entry exited (${String(code)}):\n${output}`))
    })
  })
  return { child, url, output: () => output }
}

describe.each(Object.keys(entries) as (keyof typeof entries)[])('the %s entry', (runtime) => {
  const slug = runtime.replace(/\W+/g, '-')
  it('starts on the embedded default, serves the API and exits cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `warden-entry-${slug}-`))
    try {
      const server = start(runtime, dataDir)
      const base = await server.url
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' })
      expect(server.output()).toContain('Using the DEVELOPMENT signing key')

      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
        keys: Record<string, unknown>[]
      }
      expect(jwks.keys.length).toBeGreaterThan(0)
      for (const key of jwks.keys) {
        expect(key).toHaveProperty('kid')
        expect(key).not.toHaveProperty('d')
      }

      const common = await fetch(`${base}/trpc/auth.register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'common@example.com', password: '1qaz2wsx3edc' }),
      })
      expect(common.status).toBe(400)
      expect(await common.text()).toContain('Password refused: common')

      const accessToken = await signUpOverHttp(base, {
        email: `${slug}@example.com`,
        password: 'a long passphrase 42',
      })
      const whoami = await fetch(`${base}/trpc/system.whoami`, {
        headers: { authorization: `Bearer ${accessToken}` },
      })
      expect(whoami.status).toBe(200)
      expect(await whoami.json()).toMatchObject({ result: { data: { clientId: 'warden' } } })

      const anonymous = await fetch(`${base}/trpc/system.whoami`)
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="warden"')
      const forged = await fetch(`${base}/trpc/system.whoami`, {
        headers: { authorization: `Bearer ${accessToken.slice(0, -4)}AAAA` },
      })
      expect(forged.status).toBe(401)
      expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"')

      server.child.kill('SIGTERM')
      expect(await exitCode(server.child)).toBe(0)
      expect(server.output()).not.toContain(accessToken)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})
