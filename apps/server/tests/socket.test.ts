import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { describe, expect, it } from 'vitest'

import { generateKeySet } from '@warden/auth'
import { createTestDatabase, testBackends } from '@warden/db/testing'

import { parseConfig } from '../src/config.ts'
import { startWarden } from '../src/index.ts'
import { signUpOverHttp, testPasswords } from './harness.ts'

describe.each(testBackends())('over a real socket on %s', (backend) => {
  it('serves health, JWKS, login and a protected call through @hono/node-server', async () => {
    await using database = await createTestDatabase(backend)
    const config = parseConfig(
      {
        AUTH_SIGNING_KEYS: JSON.stringify(await generateKeySet('ES256')),
        LOG_LEVEL: 'silent',
        PORT: '0',
      },
      { cwd: mkdtempSync(join(tmpdir(), 'warden-socket-')) },
    )
    const warden = await startWarden(config, {
      db: database,
      passwords: testPasswords(),
      socketAddress: (c) => getConnInfo(c).remote.address,
    })
    const server = serve({ fetch: warden.app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const base = `http://127.0.0.1:${port}`
    try {
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' })
      expect((await fetch(`${base}/health/ready`)).status).toBe(200)
      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
        keys: Record<string, unknown>[]
      }
      expect(jwks.keys).toHaveLength(1)
      expect(jwks.keys[0]).not.toHaveProperty('d')

      const accessToken = await signUpOverHttp(base, {
        email: 'ada@example.com',
        password: 'correct horse battery staple',
      })
      const whoami = await fetch(`${base}/trpc/system.whoami`, {
        headers: { authorization: `Bearer ${accessToken}` },
      })
      expect(whoami.status).toBe(200)
      const anonymous = await fetch(`${base}/trpc/system.whoami`)
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="warden"')
      expect(anonymous.headers.get('x-content-type-options')).toBe('nosniff')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await warden.close()
    }
  })
})
