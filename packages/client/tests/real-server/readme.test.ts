import { readFileSync } from 'node:fs'

import { beforeAll, describe, expect, test, vi } from 'vitest'

import { createAccount, PASSWORD, signedInClient } from './clients.ts'
import { app } from './readme/app.ts'
import { reports } from './readme/service.ts'
import { prepareRealWarden, startRealWarden } from './real-warden.ts'

beforeAll(prepareRealWarden)

const readmeUrl = new URL('../../../../README.md', import.meta.url)
const exampleUrl = (name: string) => new URL(`readme/${name}`, import.meta.url)

/** The TypeScript blocks of the README's "Using the client" section. */
function readmeExamples(): string[] {
  const readme = readFileSync(readmeUrl, 'utf8')
  const section = /^## Using the client\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? ''
  return [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '')
}

describe('the README examples are these files, and they run against the real server', () => {
  test('the README shows the files verbatim, each under 20 lines', () => {
    const files = ['app.ts', 'service.ts'].map((name) => readFileSync(exampleUrl(name), 'utf8'))

    expect(readmeExamples()).toEqual(files)
    for (const file of files) expect(file.trimEnd().split('\n').length).toBeLessThan(20)
  })

  test('the app: register, login, calls across an expiry, a refusal, logout', async () => {
    await using target = await startRealWarden()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    let expired = false
    // The server's clock passes the access token's expiry as the list call arrives.
    target.addFault({
      matches(request) {
        if (!expired && request.procedures.includes('projects.list')) {
          expired = true
          target.clock.advance(target.accessTokenTtlMs)
        }
        return false
      },
      respond: () => new Response(null, { status: 500 }),
    })

    const result = await app(target.url, 'ada@example.test', PASSWORD)

    expect(result).toEqual({
      project: { id: expect.any(String), name: 'Apollo' },
      mine: [result.project],
      denied: 'insufficient_scope',
    })
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(target.traffic.calls('auth.logout')).toBe(1)
    expect(warn).not.toHaveBeenCalled()
  })

  test('the service: pending invoices of a tenant, with one token', async () => {
    await using target = await startRealWarden()
    const { warden } = await signedInClient(target, { account: await createAccount(target) })
    const invoice = await warden.api.invoices.create.mutate({ amount: 990, description: 'Support' })
    const { tenantId } = await warden.api.system.whoami.query()
    const { clientSecret } = await target.createServiceClient({
      clientId: 'reports',
      audiences: ['warden-api'],
      scope: 'invoices:read',
    })

    const pending = await reports(target.url, clientSecret, tenantId ?? '')

    expect(pending).toEqual([
      { id: invoice.id, amount: 990, description: 'Support', status: 'pending' },
    ])
    expect(target.traffic.requests.filter((r) => r.path === '/oauth/token')).toHaveLength(1)
  })
})
