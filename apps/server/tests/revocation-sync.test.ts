import { describe, expect, it, vi } from 'vitest'

import { createTestDatabase, testBackends } from '@warden/db/testing'

import { startTestWarden } from './harness.ts'

describe.each(testBackends())('revocation across instances on %s', (backend) => {
  it('two server instances on one database agree within a second', async () => {
    await using database = await createTestDatabase(backend)
    await using a = await startTestWarden({ backend, database })
    await using b = await startTestWarden({ backend, database })
    // Both instances must trust the same keys: b verifies tokens a issued.
    b.services.tokens.setKeys(a.services.tokens.keys)
    b.clock.set(a.clock.now())

    const { accessToken } = await a.signUp('ada@example.com')
    expect((await b.call('system.whoami', undefined, { token: accessToken })).status).toBe(200)

    const started = performance.now()
    expect((await a.call('auth.logout', {}, { token: accessToken })).status).toBe(200)
    // Instance a knows at once; instance b learns it through LISTEN/NOTIFY.
    expect(
      (await a.call('system.whoami', undefined, { token: accessToken })).error?.data.authError,
    ).toBe('revoked_token')
    await vi.waitFor(
      async () => {
        const result = await b.call('system.whoami', undefined, { token: accessToken })
        expect(result.error?.data.authError).toBe('revoked_token')
      },
      { timeout: 1000, interval: 10 },
    )
    expect(performance.now() - started).toBeLessThan(1000)

    const second = await a.login('ada@example.com')
    a.clock.advance(5)
    b.clock.set(a.clock.now())
    expect((await b.call('auth.logoutAll', undefined, { token: second.accessToken })).status).toBe(
      200,
    )
    await vi.waitFor(
      async () => {
        const result = await a.call('system.whoami', undefined, { token: second.accessToken })
        expect(result.error?.data.authError).toBe('revoked_token')
      },
      { timeout: 1000, interval: 10 },
    )
  })
})
