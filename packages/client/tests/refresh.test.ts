import { TRPCClientError } from '@trpc/client'
import { describe, expect, test, vi } from 'vitest'

import {
  authErrorOf,
  createServiceClient,
  createWardenClient,
  memoryStorage,
  WardenClientError,
} from '../src/index.ts'
import {
  createAccount,
  nextSessionChange,
  rawClient,
  rejectionOf,
  signedInClient,
  storageWith,
} from './harness/clients.ts'
import { authFailureFault, startTarget, type TargetRouter } from './harness/target.ts'

describe('transparent refresh', () => {
  test('a call after expiry refreshes once and succeeds; the caller sees no error', async () => {
    await using target = await startTarget()
    const onSessionExpired = vi.fn()
    const { warden } = await signedInClient(target, { onSessionExpired })
    const before = await warden.api.system.whoami.query()

    target.clock.advance(target.accessTokenTtlMs)
    const after = await warden.api.system.whoami.query()

    expect(after.sub).toBe(before.sub)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    // The expired attempt and its replay.
    expect(target.traffic.calls('system.whoami')).toBe(3)
    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(warden.session.isAuthenticated).toBe(true)
  })

  test('a mutation is replayed too, and its effect happens once', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    target.clock.advance(target.accessTokenTtlMs)

    const project = await warden.api.projects.create.mutate({ name: 'Apollo' })

    expect(project.name).toBe('Apollo')
    expect(await warden.api.projects.list.query()).toEqual([project])
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('the replay carries the new access token', async () => {
    await using target = await startTarget()
    const storage = memoryStorage()
    const { warden } = await signedInClient(target, { storage })
    const first = (await storage.get())?.accessToken
    target.clock.advance(target.accessTokenTtlMs)

    await warden.api.system.whoami.query()

    const second = (await storage.get())?.accessToken
    expect(second).toBeDefined()
    expect(second).not.toBe(first)
    const whoamiAuth = target.traffic.requests
      .filter((request) => request.procedures.includes('system.whoami'))
      .map((request) => request.headers.get('authorization'))
    expect(whoamiAuth).toEqual([`Bearer ${first}`, `Bearer ${second}`])
    // Bearer transport: the refresh carried the refresh token in the body, and no access token.
    const refresh = target.traffic.requests.find((request) =>
      request.procedures.includes('auth.refresh'),
    )
    expect(refresh?.headers.get('authorization')).toBeNull()
  })
})

describe('single flight', () => {
  test('100 parallel calls after expiry: exactly one refresh reaches the server', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    target.clock.advance(target.accessTokenTtlMs)

    const results = await Promise.all(
      Array.from({ length: 100 }, () => warden.api.system.whoami.query()),
    )

    expect(results).toHaveLength(100)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(target.traffic.calls('system.whoami')).toBe(200)
  })

  test('100 parallel calls in 10 separate batches: one refresh', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target, { batch: { maxItems: 10 } })
    target.clock.advance(target.accessTokenTtlMs)

    await Promise.all(Array.from({ length: 100 }, () => warden.api.system.whoami.query()))

    expect(target.traffic.requestsFor('system.whoami')).toBeGreaterThanOrEqual(20)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(target.traffic.calls('system.whoami')).toBe(200)
  })

  test('a batch whose expired answer arrives after the refresh is replayed without another', async () => {
    await using target = await startTarget()
    const storage = memoryStorage()
    const { warden } = await signedInClient(target, { storage, batch: { maxItems: 10 } })
    const oldHeader = `Bearer ${(await storage.get())?.accessToken}`
    target.clock.advance(target.accessTokenTtlMs)
    // Let the first batch through; hold the other nine (sent with the old token) until the
    // refresh triggered by the first one is over.
    let oldBatches = 0
    const gate = target.hold(
      (request) =>
        request.procedures.includes('system.whoami') &&
        request.headers.get('authorization') === oldHeader &&
        ++oldBatches > 1,
    )
    const refreshed = nextSessionChange(warden)

    const calls = Promise.all(Array.from({ length: 100 }, () => warden.api.system.whoami.query()))
    await refreshed
    await vi.waitFor(() => {
      expect(gate.held).toBe(9)
    })
    gate.release()
    await calls

    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(target.traffic.calls('system.whoami')).toBe(200)
  })

  test('refresh() called directly shares the refresh under way', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)

    await Promise.all([warden.refresh(), warden.refresh(), warden.refresh()])
    await warden.refresh()

    expect(target.traffic.calls('auth.refresh')).toBe(2)
  })
})

describe('refresh failures', () => {
  test('reuse detected by the server: the session ends once, every waiting call gets session_expired', async () => {
    await using target = await startTarget()
    const storage = memoryStorage()
    const onSessionExpired = vi.fn()
    const { warden } = await signedInClient(target, { storage, onSessionExpired })
    const stolen = (await storage.get())?.refreshToken ?? ''
    expect(stolen).toMatch(/^wrt_/)
    // Someone else rotates the token first; past the reuse interval our presentation is a reuse.
    await rawClient(target).auth.refresh.mutate({ refreshToken: stolen })
    target.clock.advance(Math.max(target.accessTokenTtlMs, target.refreshReuseIntervalMs + 1000))
    const changes: boolean[] = []
    warden.session.subscribe((session) => changes.push(session.isAuthenticated))

    const errors = await Promise.all(
      Array.from({ length: 10 }, () => rejectionOf(warden.api.system.whoami.query())),
    )

    for (const error of errors) {
      expect(error).toBeInstanceOf(WardenClientError)
      expect(error).toBeInstanceOf(TRPCClientError)
      expect(error).toMatchObject({
        code: 'session_expired',
        reason: 'refresh_reused',
        status: 401,
      })
    }
    expect(onSessionExpired).toHaveBeenCalledTimes(1)
    expect(onSessionExpired).toHaveBeenCalledWith('refresh_reused')
    expect(warden.session.isAuthenticated).toBe(false)
    expect(warden.session.expiresAt).toBeNull()
    expect(await storage.get()).toBeNull()
    expect(changes).toEqual([false])
    // The thief's rotation and ours.
    expect(target.traffic.calls('auth.refresh')).toBe(2)

    // Later calls go out without a token; nothing refreshes again.
    const later = await rejectionOf(warden.api.system.whoami.query())
    expect(authErrorOf(later)).toBe('missing_token')
    await expect(warden.refresh()).rejects.toMatchObject({ code: 'not_authenticated' })
    expect(target.traffic.calls('auth.refresh')).toBe(2)
    expect(onSessionExpired).toHaveBeenCalledTimes(1)
  })

  test('refresh_revoked (logged out everywhere) ends the session', async () => {
    await using target = await startTarget()
    const account = await createAccount(target)
    const onSessionExpired = vi.fn()
    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      onSessionExpired,
    })
    const elsewhere = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })
    await warden.login(account)
    await elsewhere.login(account)
    await elsewhere.api.auth.logoutAll.mutate()

    const error = await rejectionOf(warden.refresh())

    expect(error).toMatchObject({ code: 'session_expired', reason: 'refresh_revoked' })
    expect(onSessionExpired).toHaveBeenCalledExactlyOnceWith('refresh_revoked')
    expect(warden.session.isAuthenticated).toBe(false)
  })

  test('invalid_refresh_token (an unknown token) ends the session', async () => {
    await using target = await startTarget()
    const onSessionExpired = vi.fn()
    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      storage: storageWith({
        accessToken: 'at_unknown',
        expiresAt: 0,
        refreshToken: 'wrt_unknown',
      }),
      onSessionExpired,
    })

    const error = await rejectionOf(warden.refresh())

    expect(error).toMatchObject({ code: 'session_expired', reason: 'invalid_refresh_token' })
    expect(onSessionExpired).toHaveBeenCalledExactlyOnceWith('invalid_refresh_token')
    expect(warden.session.isAuthenticated).toBe(false)
  })

  test('a network failure during the refresh keeps the session; the next call refreshes', async () => {
    await using target = await startTarget()
    let offline = false
    const onSessionExpired = vi.fn()
    const flakyFetch: typeof fetch = (input, init) =>
      offline ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)
    const { warden } = await signedInClient(target, { fetch: flakyFetch, onSessionExpired })
    target.clock.advance(target.accessTokenTtlMs)
    // The expired call goes through; only the refresh finds the network gone.
    const failing = target.hold((request) => request.procedures.includes('system.whoami'))
    const call = rejectionOf(warden.api.system.whoami.query())
    await vi.waitFor(() => {
      expect(failing.held).toBe(1)
    })
    offline = true
    failing.release()
    const error = await call

    expect(error).toBeInstanceOf(WardenClientError)
    expect(error).toMatchObject({ code: 'refresh_failed', reason: 'network_error' })
    expect(warden.session.isAuthenticated).toBe(true)
    expect(onSessionExpired).not.toHaveBeenCalled()

    offline = false
    await expect(warden.api.system.whoami.query()).resolves.toMatchObject({
      clientId: 'warden-web',
    })
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('a server error during the refresh keeps the session and reports its code', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    const remove = target.addFault({
      matches: (request) => request.procedures.includes('auth.refresh'),
      respond: () =>
        Response.json(
          {
            error: {
              message: 'down',
              code: -32603,
              data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 },
            },
          },
          { status: 500 },
        ),
    })

    const error = await rejectionOf(warden.refresh())

    expect(error).toMatchObject({
      code: 'refresh_failed',
      reason: 'INTERNAL_SERVER_ERROR',
      status: 500,
    })
    expect(warden.session.isAuthenticated).toBe(true)
    remove()
    await expect(warden.refresh()).resolves.toBeUndefined()
  })
})

describe('no refresh', () => {
  test('wrong_audience reaches the caller with its code, with no refresh', async () => {
    await using target = await startTarget()
    const credentials = await target.createServiceClient({
      clientId: 'reports',
      audiences: ['reports-api'],
    })
    const service = createServiceClient<TargetRouter>({
      url: target.url,
      tokenUrl: target.tokenUrl,
      ...credentials,
      audience: 'reports-api',
    })
    const foreign = await service.getToken()
    const onAuthFailure = vi.fn()
    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      storage: storageWith({ accessToken: foreign, expiresAt: 0, refreshToken: 'wrt_unused' }),
      onAuthFailure,
    })

    const error = await rejectionOf(warden.api.system.whoami.query())

    expect(error).toBeInstanceOf(TRPCClientError)
    expect(authErrorOf(error)).toBe('wrong_audience')
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('wrong_audience')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
    expect(warden.session.isAuthenticated).toBe(true)
  })

  test('revoked_token reaches the caller, with no refresh', async () => {
    await using target = await startTarget()
    const account = await createAccount(target)
    const warden = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })
    const elsewhere = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })
    await warden.login(account)
    await elsewhere.login(account)
    await elsewhere.api.auth.logoutAll.mutate()

    const error = await rejectionOf(warden.api.system.whoami.query())

    expect(authErrorOf(error)).toBe('revoked_token')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
  })

  test('403 insufficient_scope reaches the caller, with no refresh', async () => {
    await using target = await startTarget()
    const onAuthFailure = vi.fn()
    const { warden } = await signedInClient(target, { onAuthFailure })

    const error = await rejectionOf(warden.api.projects.delete.mutate({ id: 'project_1' }))

    expect(authErrorOf(error)).toBe('insufficient_scope')
    expect(error).toMatchObject({ data: { httpStatus: 403, code: 'FORBIDDEN' } })
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('insufficient_scope')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
  })

  test('a server that keeps answering expired_token: one refresh and one replay per operation', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    target.addFault(
      authFailureFault('expired_token', (r) => r.procedures.includes('system.whoami')),
    )

    const single = await rejectionOf(warden.api.system.whoami.query())
    expect(authErrorOf(single)).toBe('expired_token')
    expect(target.traffic.requestsFor('system.whoami')).toBe(2)
    expect(target.traffic.calls('auth.refresh')).toBe(1)

    target.traffic.clear()
    const batch = await Promise.all(
      Array.from({ length: 3 }, () => rejectionOf(warden.api.system.whoami.query())),
    )
    expect(batch.map(authErrorOf)).toEqual(['expired_token', 'expired_token', 'expired_token'])
    // One batch, one shared refresh, one replayed batch.
    expect(target.traffic.requestsFor('system.whoami')).toBe(2)
    expect(target.traffic.calls('system.whoami')).toBe(6)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(warden.session.isAuthenticated).toBe(true)
  })

  test('credential procedures are never refreshed for, even on expired_token', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    target.addFault(
      authFailureFault('expired_token', (r) =>
        r.procedures.some((p) => p === 'auth.login' || p === 'auth.register'),
      ),
    )

    const login = await rejectionOf(
      warden.api.auth.login.mutate({ email: 'x@example.test', password: 'whatever' }),
    )
    const register = await rejectionOf(
      warden.api.auth.register.mutate({ email: 'y@example.test', password: 'whatever' }),
    )

    expect(authErrorOf(login)).toBe('expired_token')
    expect(authErrorOf(register)).toBe('expired_token')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
  })

  test('a wrong password is invalid_credentials from login(), and no session', async () => {
    await using target = await startTarget()
    const account = await createAccount(target)
    const warden = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })

    const error = await rejectionOf(warden.login({ ...account, password: 'not it' }))

    expect(authErrorOf(error)).toBe('invalid_credentials')
    expect(warden.session.isAuthenticated).toBe(false)
  })
})

describe('challenge in the header only', () => {
  const headerOnly = (description: string) => ({
    respond: () =>
      Response.json(
        [
          {
            error: { message: 'no', code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: 401 } },
          },
        ],
        {
          status: 401,
          headers: {
            'www-authenticate': `Bearer realm="warden", error="invalid_token", error_description="${description}"`,
          },
        },
      ),
  })

  test('WWW-Authenticate error_description="expired_token" triggers the refresh', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    let first = true
    target.addFault({
      matches: (r) => r.procedures.includes('system.whoami') && first && !(first = false),
      ...headerOnly('expired_token'),
    })

    await expect(warden.api.system.whoami.query()).resolves.toMatchObject({
      clientId: 'warden-web',
    })
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('any other error_description does not', async () => {
    await using target = await startTarget()
    const onAuthFailure = vi.fn()
    const { warden } = await signedInClient(target, { onAuthFailure })
    target.addFault({
      matches: (r) => r.procedures.includes('system.whoami'),
      ...headerOnly('revoked_token'),
    })

    const error = await rejectionOf(warden.api.system.whoami.query())

    expect(error).toBeInstanceOf(TRPCClientError)
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('revoked_token')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
  })
})

describe('aborting', () => {
  test('a call aborted while waiting for the refresh rejects at once; the others complete', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    target.clock.advance(target.accessTokenTtlMs)
    const refreshGate = target.hold((r) => r.procedures.includes('auth.refresh'))
    const controller = new AbortController()

    const aborted = rejectionOf(
      warden.api.system.whoami.query(undefined, { signal: controller.signal }),
    )
    const other = warden.api.system.whoami.query()
    await vi.waitFor(() => {
      expect(refreshGate.held).toBe(1)
    })
    controller.abort()
    const error = await aborted
    refreshGate.release()

    expect(error).toBeInstanceOf(TRPCClientError)
    expect((error as Error).cause).toMatchObject({ name: 'AbortError' })
    await expect(other).resolves.toMatchObject({ clientId: 'warden-web' })
    expect(target.traffic.calls('system.whoami')).toBe(3)
  })
})
