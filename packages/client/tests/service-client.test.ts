import { describe, expect, test, vi } from 'vitest'

import { authErrorOf, createServiceClient, WardenClientError } from '../src/index.ts'
import { rejectionOf } from './harness/clients.ts'
import { createManualClock } from './harness/fake-time.ts'
import {
  authFailureFault,
  startTarget,
  type TargetRouter,
  type WardenTarget,
} from './harness/target.ts'

async function serviceFor(
  target: WardenTarget,
  options: Partial<Parameters<typeof createServiceClient<TargetRouter>>[0]> = {},
) {
  const credentials = await target.createServiceClient({
    clientId: options.clientId ?? 'reports',
    audiences: [target.audience, 'reports-api'],
    scope: 'invoices:read invoices:approve',
  })
  return createServiceClient<TargetRouter>({
    url: target.url,
    tokenUrl: target.tokenUrl,
    audience: target.audience,
    clock: target.clock,
    ...credentials,
    ...options,
  })
}

const tokenRequests = (target: WardenTarget) =>
  target.traffic.requests.filter((r) => r.path === '/oauth/token')

describe('createServiceClient', () => {
  test('one token for many calls, parallel and sequential', async () => {
    await using target = await startTarget()
    const service = await serviceFor(target)

    const results = await Promise.all(
      Array.from({ length: 50 }, () => service.api.system.whoami.query()),
    )
    await service.api.system.whoami.query()
    target.clock.advance(60_000)
    await service.api.system.whoami.query()

    expect(results[0]).toMatchObject({ sub: 'reports', clientId: 'reports', tenantId: null })
    expect(tokenRequests(target)).toHaveLength(1)
  })

  test('the token request is RFC 6749 §4.4 with client_secret_basic', async () => {
    await using target = await startTarget()
    const service = await serviceFor(target, { scope: 'invoices:read' })

    await service.getToken()

    const [request] = tokenRequests(target)
    expect(request?.method).toBe('POST')
    expect(request?.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'client_credentials',
      audience: target.audience,
      scope: 'invoices:read',
    })
    expect(request?.headers.get('authorization')).toMatch(/^Basic [A-Za-z0-9+/]+=*$/)
  })

  test('an id with reserved characters authenticates: it is form-urlencoded (RFC 6749 §2.3.1)', async () => {
    await using target = await startTarget()
    const clientId = "svc:reports/ü +'~"
    const credentials = await target.createServiceClient({ clientId, audiences: [target.audience] })
    const service = createServiceClient<TargetRouter>({
      url: target.url,
      tokenUrl: target.tokenUrl,
      audience: target.audience,
      ...credentials,
    })

    await expect(service.api.system.whoami.query()).resolves.toMatchObject({ sub: clientId })
    const [request] = tokenRequests(target)
    expect(atob(request?.headers.get('authorization')?.slice('Basic '.length) ?? '')).toBe(
      `svc%3Areports%2F%C3%BC+%2B%27%7E:${credentials.clientSecret}`,
    )
  })

  test('renewed shortly before expiry by the server clock, with a device clock a day off', async () => {
    await using target = await startTarget()
    const device = createManualClock(target.clock.now() + 24 * 3600_000)
    const service = await serviceFor(target, { clock: device, refreshBeforeExpiryMs: 30_000 })
    const advance = (ms: number) => {
      target.clock.advance(ms)
      device.advance(ms)
    }

    const first = await service.getToken()
    advance(target.accessTokenTtlMs - 30_000 - 1)
    expect(await service.getToken()).toBe(first)
    advance(1)
    const second = await service.getToken()

    expect(second).not.toBe(first)
    expect(tokenRequests(target)).toHaveLength(2)
  })

  test('an expired_token challenge drops the token, fetches another and replays once', async () => {
    await using target = await startTarget()
    const service = await serviceFor(target)
    const first = await service.getToken()
    let rejected = 0
    target.addFault(
      authFailureFault(
        'expired_token',
        (r) => r.procedures.includes('system.whoami') && rejected++ === 0,
      ),
    )

    await expect(service.api.system.whoami.query()).resolves.toMatchObject({ sub: 'reports' })

    expect(await service.getToken()).not.toBe(first)
    expect(tokenRequests(target)).toHaveLength(2)
    expect(target.traffic.requestsFor('system.whoami')).toBe(2)
  })

  test('parallel calls meeting expired_token share one new token', async () => {
    await using target = await startTarget()
    const service = await serviceFor(target, { batch: { maxItems: 5 } })
    const first = await service.getToken()
    // The server holds the token expired although the client's estimate does not (its clock
    // jumped, say): every call carrying it is refused.
    target.addFault(
      authFailureFault(
        'expired_token',
        (r) =>
          r.procedures.includes('system.whoami') &&
          r.headers.get('authorization') === `Bearer ${first}`,
      ),
    )

    await Promise.all(Array.from({ length: 20 }, () => service.api.system.whoami.query()))

    expect(target.traffic.requestsFor('system.whoami')).toBeGreaterThanOrEqual(8)
    expect(tokenRequests(target)).toHaveLength(2)
  })

  test('wrong_audience is not retried', async () => {
    await using target = await startTarget()
    const onAuthFailure = vi.fn()
    const service = await serviceFor(target, { audience: 'reports-api', onAuthFailure })

    const error = await rejectionOf(service.api.system.whoami.query())

    expect(authErrorOf(error)).toBe('wrong_audience')
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('wrong_audience')
    expect(tokenRequests(target)).toHaveLength(1)
  })

  test.each([
    ['a wrong secret', { clientSecret: 'wrong' }, 'invalid_client', 401],
    ['an audience not allowed', { audience: 'billing-api' }, 'invalid_target', 400],
    ['a scope not allowed', { scope: 'admin' }, 'invalid_scope', 400],
  ])('%s: token_request_failed with the RFC 6749 error', async (_case, options, error, status) => {
    await using target = await startTarget()
    const service = await serviceFor(target, options)

    const fromGetToken = await rejectionOf(service.getToken())
    const fromCall = await rejectionOf(service.api.system.whoami.query())

    for (const failure of [fromGetToken, fromCall]) {
      expect(failure).toBeInstanceOf(WardenClientError)
      expect(failure).toMatchObject({ code: 'token_request_failed', reason: error, status })
    }
    expect(target.traffic.calls('system.whoami')).toBe(0)
  })

  test('an unreachable token endpoint: token_request_failed, network_error; the next call retries', async () => {
    await using target = await startTarget()
    let offline = true
    const service = await serviceFor(target, {
      fetch: (input, init) =>
        offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init),
    })

    await expect(service.getToken()).rejects.toMatchObject({
      code: 'token_request_failed',
      reason: 'network_error',
    })
    offline = false
    await expect(service.getToken()).resolves.toMatch(/^at_/)
  })

  test.each([
    ['not JSON', () => new Response('<html>', { status: 200 })],
    ['no access_token', () => Response.json({ token_type: 'Bearer', expires_in: 60 })],
    [
      'another token type',
      () => Response.json({ access_token: 'x', token_type: 'MAC', expires_in: 60 }),
    ],
    ['no expires_in', () => Response.json({ access_token: 'x', token_type: 'bearer' })],
  ])('a success answer with %s is invalid_response', async (_case, respond) => {
    await using target = await startTarget()
    target.addFault({ matches: (r) => r.path === '/oauth/token', respond })
    const service = await serviceFor(target)

    await expect(service.getToken()).rejects.toMatchObject({ code: 'invalid_response' })
  })

  test('concurrent getToken calls share one request; invalidate() forces a new one', async () => {
    await using target = await startTarget()
    const service = await serviceFor(target)

    const tokens = await Promise.all([service.getToken(), service.getToken(), service.getToken()])
    service.invalidate()
    const renewed = await service.getToken()

    expect(new Set(tokens).size).toBe(1)
    expect(renewed).not.toBe(tokens[0])
    expect(tokenRequests(target)).toHaveLength(2)
  })

  test.each([
    ['url', { url: '' }],
    ['tokenUrl', { tokenUrl: '' }],
    ['clientId', { clientId: '' }],
    ['clientSecret', { clientSecret: '' }],
    ['audience', { audience: '' }],
    ['refreshBeforeExpiryMs', { refreshBeforeExpiryMs: -1 }],
  ])('a bad %s is a TypeError at creation', (_name, override) => {
    const options = {
      url: 'http://127.0.0.1:9',
      tokenUrl: 'http://127.0.0.1:9/oauth/token',
      clientId: 'c',
      clientSecret: 's',
      audience: 'a',
      ...override,
    }
    expect(() => createServiceClient(options)).toThrow(TypeError)
  })
})
