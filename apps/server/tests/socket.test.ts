import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { serveTestWarden, signUpOverHttp } from './harness.ts'

describe.each(testBackends())('over a real socket on %s', (backend) => {
  it('serves health, JWKS, login and a protected call through @hono/node-server', async () => {
    await using server = await serveTestWarden(backend, 'ES256')
    const { base } = server
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
  })
})
