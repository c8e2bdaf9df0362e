import type { TRPCLink } from '@trpc/client'
import { observable } from '@trpc/server/observable'
import { describe, expect, test, vi } from 'vitest'

import {
  authErrorOf,
  createWardenClient,
  memoryStorage,
  WardenClientError,
  type StoredTokens,
  type TokenStorage,
} from '../src/index.ts'
import {
  createAccount,
  nextSessionChange,
  rawClient,
  rejectionOf,
  signedInClient,
  storageWith,
} from './harness/clients.ts'
import { createFakeBrowser } from './harness/fake-browser.ts'
import { startTarget, type TargetRouter } from './harness/target.ts'

describe('login, register, logout', () => {
  test('register creates the account without signing in', async () => {
    await using target = await startTarget()
    const warden = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })

    const registered = await warden.register({
      email: 'new@example.test',
      password: 'correct horse battery staple',
      name: 'New',
    })

    expect(registered).toEqual({ user: { id: expect.any(String), email: 'new@example.test' } })
    expect(warden.session.isAuthenticated).toBe(false)
    expect(target.traffic.calls('auth.login')).toBe(0)
  })

  test('login holds the tokens; expiry is kept on the server clock and shown on the device clock', async () => {
    await using target = await startTarget()
    const storage = memoryStorage()
    const account = await createAccount(target)
    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      storage,
    })
    const changed = nextSessionChange(warden)

    await warden.login(account)

    const stored = await storage.get()
    expect(stored).toEqual({
      accessToken: expect.stringMatching(/^at_/),
      refreshToken: expect.stringMatching(/^wrt_/),
      expiresAt: expect.any(Number),
    })
    // The server runs in 2030 and the device today: the stored expiry follows the server...
    expect(
      Math.abs((stored?.expiresAt ?? 0) - (target.clock.now() + target.accessTokenTtlMs)),
    ).toBeLessThan(2000)
    // ...and the session's follows the device.
    expect(
      Math.abs((warden.session.expiresAt ?? 0) - (Date.now() + target.accessTokenTtlMs)),
    ).toBeLessThan(2000)
    expect(await changed).toEqual({ isAuthenticated: true, expiresAt: warden.session.expiresAt })
    const login = target.traffic.requests.find((r) => r.procedures.includes('auth.login'))
    expect(JSON.parse(login?.body ?? '{}')).toEqual({ ...account, transport: 'bearer' })
    expect(login?.headers.get('authorization')).toBeNull()
  })

  test('logout revokes the family at the server, clears local state and tells listeners', async () => {
    await using target = await startTarget()
    const storage = memoryStorage()
    const onSessionExpired = vi.fn()
    const { warden } = await signedInClient(target, { storage, onSessionExpired })
    const held = await storage.get()
    const listener = vi.fn()
    const unsubscribe = warden.session.subscribe(listener)

    await expect(warden.logout()).resolves.toEqual({ revoked: true })

    expect(warden.session).toMatchObject({ isAuthenticated: false, expiresAt: null })
    expect(await storage.get()).toBeNull()
    expect(listener).toHaveBeenCalledExactlyOnceWith({ isAuthenticated: false, expiresAt: null })
    expect(onSessionExpired).not.toHaveBeenCalled()
    const logout = target.traffic.requests.find((r) => r.procedures.includes('auth.logout'))
    expect(logout?.headers.get('authorization')).toBe(`Bearer ${held?.accessToken}`)
    const refreshAfterLogout = await rejectionOf(
      rawClient(target).auth.refresh.mutate({ refreshToken: held?.refreshToken ?? '' }),
    )
    expect(authErrorOf(refreshAfterLogout)).toBe('refresh_revoked')

    unsubscribe()
    await warden.login(await createAccount(target))
    expect(listener).toHaveBeenCalledTimes(1)
  })

  test('logout clears local state even when the server call fails', async () => {
    await using target = await startTarget()
    const storage = memoryStorage()
    const { warden } = await signedInClient(target, { storage })
    target.addFault({
      matches: (r) => r.procedures.includes('auth.logout'),
      respond: () => new Response('bad gateway', { status: 502 }),
    })

    const result = await warden.logout()

    expect(result.revoked).toBe(false)
    expect(warden.session.isAuthenticated).toBe(false)
    expect(await storage.get()).toBeNull()
  })

  test('logout refreshes an expired access token first, so the server can revoke the family', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target)
    target.clock.advance(target.accessTokenTtlMs)

    await expect(warden.logout()).resolves.toEqual({ revoked: true })

    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(target.traffic.calls('auth.logout')).toBe(2)
  })

  test('logout without a session reports not_authenticated and calls nobody', async () => {
    await using target = await startTarget()
    const warden = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })

    const result = await warden.logout()

    expect(result).toEqual({ revoked: false, error: expect.any(WardenClientError) })
    expect(result.revoked ? undefined : result.error).toMatchObject({ code: 'not_authenticated' })
    expect(target.traffic.requests).toHaveLength(0)
  })

  test('a login answer outside the contract is invalid_response, and no session', async () => {
    await using target = await startTarget()
    const account = await createAccount(target)
    const warden = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })
    target.addFault({
      matches: (r) => r.procedures.includes('auth.login'),
      respond: () =>
        Response.json({
          result: { data: { accessToken: 'at_x', tokenType: 'MAC', expiresIn: 900 } },
        }),
    })

    const error = await rejectionOf(warden.login(account))

    expect(error).toBeInstanceOf(WardenClientError)
    expect(error).toMatchObject({ code: 'invalid_response' })
    expect(warden.session.isAuthenticated).toBe(false)
  })
})

describe('storage', () => {
  test('tokens in a custom storage are used from the first call', async () => {
    await using target = await startTarget()
    const source = memoryStorage()
    await signedInClient(target, { storage: source })
    const tokens = (await source.get())!

    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      storage: storageWith(tokens),
    })

    expect(warden.session.isAuthenticated).toBe(true)
    await expect(warden.api.system.whoami.query()).resolves.toMatchObject({
      clientId: 'warden-web',
    })
  })

  test.each([
    ['not an object', 'at_x'],
    ['no access token', { expiresAt: 1, refreshToken: 'wrt_x' }],
    ['a non-numeric expiry', { accessToken: 'at_x', expiresAt: '1' }],
    ['an empty refresh token', { accessToken: 'at_x', expiresAt: 1, refreshToken: '' }],
  ])('a stored value with %s is no session', async (_case, value) => {
    await using target = await startTarget()
    const storage: TokenStorage = { get: () => value as unknown as StoredTokens, set: vi.fn() }

    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      storage,
    })

    expect(warden.session.isAuthenticated).toBe(false)
    const error = await rejectionOf(warden.api.system.whoami.query())
    expect(authErrorOf(error)).toBe('missing_token')
  })

  test('an asynchronous storage holding an expired token: the first call refreshes once', async () => {
    await using target = await startTarget()
    const source = memoryStorage()
    await signedInClient(target, { storage: source })
    const tokens = (await source.get())!
    let saved: StoredTokens | null = tokens
    const storage: TokenStorage = {
      get: () => Promise.resolve(saved),
      set: (next) => {
        saved = next
        return Promise.resolve()
      },
    }
    target.clock.advance(target.accessTokenTtlMs)
    target.traffic.clear()

    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      storage,
    })
    await expect(warden.api.system.whoami.query()).resolves.toMatchObject({
      clientId: 'warden-web',
    })

    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect((await storage.get())?.refreshToken).not.toBe(tokens.refreshToken)
  })

  test('two clients sharing a storage: the second follows the first one rotation instead of reusing', async () => {
    await using target = await startTarget({ refreshReuseIntervalMs: 0 })
    const storage = memoryStorage()
    const onSessionExpired = vi.fn()
    const { warden: first } = await signedInClient(target, { storage })
    const second = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'bearer',
      storage,
      onSessionExpired,
    })
    target.clock.advance(target.accessTokenTtlMs)

    await first.api.system.whoami.query()
    await second.api.system.whoami.query()

    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(second.session.isAuthenticated).toBe(true)

    // A logout through one ends the other at its next refresh, without a server call.
    await first.logout()
    await expect(second.refresh()).rejects.toMatchObject({
      code: 'session_expired',
      reason: 'logged_out',
    })
    expect(second.session.isAuthenticated).toBe(false)
    expect(onSessionExpired).toHaveBeenCalledExactlyOnceWith('logged_out')
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })
})

describe('requests', () => {
  test('custom headers are sent; an Authorization among them is ignored', async () => {
    await using target = await startTarget()
    const { warden } = await signedInClient(target, {
      headers: () => Promise.resolve({ 'x-request-id': 'abc', Authorization: 'Bearer forged' }),
    })

    await warden.api.system.whoami.query()

    const whoami = target.traffic.requests.find((r) => r.procedures.includes('system.whoami'))
    expect(whoami?.headers.get('x-request-id')).toBe('abc')
    expect(whoami?.headers.get('authorization')).toMatch(/^Bearer at_/)
  })

  test('links given in options run before the auth link, once per operation', async () => {
    await using target = await startTarget()
    const seen: string[] = []
    const spy: TRPCLink<TargetRouter> =
      () =>
      ({ op, next }) =>
        observable((observer) => {
          seen.push(op.path)
          return next(op).subscribe(observer)
        })
    const { warden } = await signedInClient(target, { links: [spy] })
    target.clock.advance(target.accessTokenTtlMs)

    await warden.api.system.whoami.query()

    // The replay happens behind the user's link: it sees the call once.
    expect(seen).toEqual(['system.whoami'])
  })
})

describe('cookie transport', () => {
  test('the refresh token stays in the HttpOnly cookie; JavaScript never holds or sends it', async () => {
    await using target = await startTarget()
    const browser = createFakeBrowser(target.allowedOrigin)
    const account = await createAccount(target)
    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'cookie',
      fetch: browser.fetch,
      crossTab: false,
    })

    await warden.login(account)
    const cookie = browser.cookies.get('warden_refresh')
    expect(cookie).toMatch(/^wrt_/)
    target.clock.advance(target.accessTokenTtlMs)
    await warden.api.system.whoami.query()

    const login = target.traffic.requests.find((r) => r.procedures.includes('auth.login'))
    expect(JSON.parse(login?.body ?? '{}')).toMatchObject({ transport: 'cookie' })
    const refresh = target.traffic.requests.find((r) => r.procedures.includes('auth.refresh'))
    expect(JSON.parse(refresh?.body ?? '')).toEqual({})
    expect(refresh?.headers.get('cookie')).toBe(`warden_refresh=${cookie}`)
    for (const request of target.traffic.requests) {
      expect(request.body).not.toContain(cookie)
      expect(request.headers.get('authorization') ?? '').not.toContain(cookie)
    }
    expect(browser.credentialModes.every((mode) => mode === 'include')).toBe(true)
    expect(browser.cookies.get('warden_refresh')).not.toBe(cookie)
  })

  test('a reloaded page restores the session from the cookie with refresh()', async () => {
    await using target = await startTarget()
    const browser = createFakeBrowser(target.allowedOrigin)
    const account = await createAccount(target)
    const options = {
      url: target.url,
      transport: 'cookie',
      fetch: browser.fetch,
      crossTab: false,
    } as const
    await createWardenClient<TargetRouter>(options).login(account)

    const reloaded = createWardenClient<TargetRouter>(options)
    expect(reloaded.session.isAuthenticated).toBe(false)
    await reloaded.refresh()

    expect(reloaded.session.isAuthenticated).toBe(true)
    await expect(reloaded.api.system.whoami.query()).resolves.toMatchObject({
      clientId: 'warden-web',
    })
  })

  test('logout drops the cookie; a restore then fails without calling onSessionExpired', async () => {
    await using target = await startTarget()
    const browser = createFakeBrowser(target.allowedOrigin)
    const onSessionExpired = vi.fn()
    const warden = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'cookie',
      fetch: browser.fetch,
      crossTab: false,
      onSessionExpired,
    })
    await warden.login(await createAccount(target))

    await expect(warden.logout()).resolves.toEqual({ revoked: true })
    expect(browser.cookies.has('warden_refresh')).toBe(false)

    const error = await rejectionOf(warden.refresh())
    expect(error).toMatchObject({ code: 'session_expired', reason: 'invalid_refresh_token' })
    expect(onSessionExpired).not.toHaveBeenCalled()
  })
})

describe('misuse fails at creation', () => {
  const url = 'http://127.0.0.1:9'

  test.each([
    ['an empty url', { url: '', transport: 'bearer' }],
    ['an unknown transport', { url, transport: 'basic' }],
    ['a storage with cookies', { url, transport: 'cookie', storage: memoryStorage() }],
    ['crossTab with bearer', { url, transport: 'bearer', crossTab: true }],
    ['a negative lead', { url, transport: 'bearer', proactiveRefresh: { beforeExpiryMs: -1 } }],
    ['an infinite jitter', { url, transport: 'bearer', proactiveRefresh: { jitterMs: Infinity } }],
    ['a NaN lock timeout', { url, transport: 'cookie', crossTab: { lockTimeoutMs: Number.NaN } }],
  ])('%s is a TypeError', (_case, options) => {
    expect(() => createWardenClient(options as never)).toThrow(TypeError)
  })

  test('no fetch anywhere is a TypeError', () => {
    vi.stubGlobal('fetch', undefined)
    try {
      expect(() => createWardenClient({ url, transport: 'bearer' })).toThrow(TypeError)
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
