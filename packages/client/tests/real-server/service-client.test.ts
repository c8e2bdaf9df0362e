/*
 * The service client against the real token endpoint (`POST /oauth/token`, client credentials,
 * `client_secret_basic`) and the real router, with the server's manual clock.
 */
import { TRPCClientError } from '@trpc/client'
import { beforeAll, describe, expect, test, vi } from 'vitest'

import type { AppRouter } from '@warden/api'

import { authErrorOf, createServiceClient, WardenClientError } from '../../src/index.ts'
import { rejectionOf, signedInClient } from './clients.ts'
import { prepareRealWarden, startRealWarden, type RealWarden } from './real-warden.ts'

beforeAll(prepareRealWarden)

/** A tenant with one invoice, and a `reports` service client allowed to read invoices. */
async function reportsSetup(target: RealWarden) {
  const { warden } = await signedInClient(target)
  const invoice = await warden.api.invoices.create.mutate({ amount: 4200, description: 'Hosting' })
  const { tenantId } = await warden.api.system.whoami.query()
  if (tenantId === null) throw new Error('A registered user has a tenant')
  const credentials = await target.createServiceClient({
    clientId: 'reports',
    audiences: [target.audience],
    scope: 'invoices:read',
  })
  const onAuthFailure = vi.fn()
  const service = createServiceClient<AppRouter>({
    url: target.url,
    tokenUrl: target.tokenUrl,
    ...credentials,
    audience: target.audience,
    scope: 'invoices:read',
    onAuthFailure,
  })
  return { service, invoice, tenantId, onAuthFailure }
}

const tokenRequests = (target: RealWarden) =>
  target.traffic.requests.filter((request) => request.path === '/oauth/token')

describe('service client against the real token endpoint', () => {
  test('one token for many calls, authenticated with client_secret_basic', async () => {
    await using target = await startRealWarden()
    const { service, invoice, tenantId, onAuthFailure } = await reportsSetup(target)

    const parallel = await Promise.all(
      Array.from({ length: 20 }, () => service.api.invoices.list.query({ tenantId })),
    )
    for (let i = 0; i < 5; i++) await service.api.invoices.list.query({ tenantId })

    expect(parallel[0]).toEqual([
      { id: invoice.id, amount: 4200, description: 'Hosting', status: 'pending' },
    ])
    const requests = tokenRequests(target)
    expect(requests).toHaveLength(1)
    expect(requests[0]?.headers.get('authorization')).toMatch(/^Basic /)
    expect(Object.fromEntries(new URLSearchParams(requests[0]?.body))).toEqual({
      grant_type: 'client_credentials',
      audience: target.audience,
      scope: 'invoices:read',
    })
    expect(await service.api.system.whoami.query()).toMatchObject({
      sub: 'reports',
      clientId: 'reports',
      scope: 'invoices:read',
      tenantId: null,
    })
    expect(onAuthFailure).not.toHaveBeenCalled()
  })

  test('renewed after expiry: the server clock past exp, one new token, the call replayed', async () => {
    await using target = await startRealWarden()
    const { service, tenantId, onAuthFailure } = await reportsSetup(target)
    const first = await service.getToken()
    await service.api.invoices.list.query({ tenantId })

    target.clock.advance(target.accessTokenTtlMs + 1000)
    const invoices = await Promise.all(
      Array.from({ length: 10 }, () => service.api.invoices.list.query({ tenantId })),
    )

    expect(invoices).toHaveLength(10)
    expect(tokenRequests(target)).toHaveLength(2)
    expect(await service.getToken()).not.toBe(first)
    expect(
      target
        .loggedRequests()
        .filter((entry) => entry.path.startsWith('/trpc/invoices.list'))
        .map((entry) => entry.authError ?? entry.status),
    ).toEqual([200, 'expired_token', 200])
    // The ten calls went as one batch, failed together and were replayed together.
    expect(target.traffic.requestsFor('invoices.list')).toBe(3)
    expect(onAuthFailure).not.toHaveBeenCalled()
  })

  test('renewed before expiry once a Date header shows the server clock near exp', async () => {
    await using target = await startRealWarden()
    const { service, tenantId } = await reportsSetup(target)
    await service.api.invoices.list.query({ tenantId })

    // Past the renewal margin (half of a 60 s token), still before exp. Only an answer's Date
    // tells the client; the token is not renewed until then.
    target.clock.advance(target.accessTokenTtlMs - 10_000)
    await service.api.system.info.query()
    expect(tokenRequests(target)).toHaveLength(1)
    await service.api.invoices.list.query({ tenantId })

    expect(tokenRequests(target)).toHaveLength(2)
    expect(target.loggedRequests().filter((entry) => entry.status !== 200)).toEqual([])
  })

  test('a user-only procedure: 403 insufficient_scope reaches the caller, no renewal', async () => {
    await using target = await startRealWarden()
    const { service, onAuthFailure } = await reportsSetup(target)

    const error = await rejectionOf(service.api.auth.me.query())

    expect(error).toBeInstanceOf(TRPCClientError)
    expect(authErrorOf(error)).toBe('insufficient_scope')
    expect(error).toMatchObject({ data: { code: 'FORBIDDEN', httpStatus: 403 } })
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('insufficient_scope')
    expect(tokenRequests(target)).toHaveLength(1)
  })

  test('a token for another audience: wrong_audience reaches the caller, no renewal', async () => {
    await using target = await startRealWarden()
    const credentials = await target.createServiceClient({
      clientId: 'mailer',
      audiences: ['mail-api'],
    })
    const service = createServiceClient<AppRouter>({
      url: target.url,
      tokenUrl: target.tokenUrl,
      ...credentials,
      audience: 'mail-api',
    })

    const error = await rejectionOf(service.api.system.whoami.query())

    expect(authErrorOf(error)).toBe('wrong_audience')
    expect(error).toMatchObject({ data: { httpStatus: 401 } })
    expect(tokenRequests(target)).toHaveLength(1)
  })

  test('a wrong secret or an audience the client may not have: token_request_failed', async () => {
    await using target = await startRealWarden()
    const credentials = await target.createServiceClient({
      clientId: 'reports',
      audiences: [target.audience],
    })
    const wrongSecret = createServiceClient<AppRouter>({
      url: target.url,
      tokenUrl: target.tokenUrl,
      clientId: credentials.clientId,
      clientSecret: `${credentials.clientSecret}x`,
      audience: target.audience,
    })
    const wrongAudience = createServiceClient<AppRouter>({
      url: target.url,
      tokenUrl: target.tokenUrl,
      ...credentials,
      audience: 'billing-api',
    })

    const refused = await rejectionOf(wrongSecret.api.system.whoami.query())
    const outOfBounds = await rejectionOf(wrongAudience.getToken())

    expect(refused).toBeInstanceOf(WardenClientError)
    expect(refused).toMatchObject({
      code: 'token_request_failed',
      reason: 'invalid_client',
      status: 401,
    })
    expect(outOfBounds).toMatchObject({
      code: 'token_request_failed',
      reason: 'invalid_target',
      status: 400,
    })
    expect(target.traffic.calls('system.whoami')).toBe(0)
  })
})
