/*
 * Issue 5: the client against the real `apps/server`, over a socket, with short access tokens
 * and the server's manual clock. Requests are counted where they reach the server (the socket
 * adapter's traffic) and cross-checked against the server's own request log.
 */
import { TRPCClientError } from '@trpc/client'
import { beforeAll, describe, expect, test, vi } from 'vitest'

import type { AppRouter } from '@warden/api'
import { testBackends } from '@warden/db/testing'

import {
  authErrorOf,
  createServiceClient,
  createWardenClient,
  memoryStorage,
  WardenClientError,
} from '../../src/index.ts'
import { cookieJar, createAccount, rawClient, rejectionOf, signedInClient } from './clients.ts'
import { prepareRealWarden, startRealWarden, type RealWarden } from './real-warden.ts'

beforeAll(prepareRealWarden)

/** How many times the server logged answering `path`. */
const logged = (target: RealWarden, path: string) =>
  target.loggedRequests().filter((entry) => entry.path === path).length

describe.each(testBackends())('transparent refresh on %s', (backend) => {
  test('login, a call, expiry: one refresh, the call succeeds, the caller saw no error', async () => {
    await using target = await startRealWarden({ backend })
    const onSessionExpired = vi.fn()
    const onAuthFailure = vi.fn()
    const storage = memoryStorage()
    const { warden } = await signedInClient(target, { storage, onSessionExpired, onAuthFailure })
    const before = await warden.api.system.whoami.query()
    const first = (await storage.get())?.accessToken

    target.clock.advance(target.accessTokenTtlMs)
    const after = await warden.api.system.whoami.query()

    expect(after.sub).toBe(before.sub)
    expect(after.expiresAt).not.toBe(before.expiresAt)
    expect((await storage.get())?.accessToken).not.toBe(first)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    // The call before expiry, the expired attempt and its replay.
    expect(target.traffic.calls('system.whoami')).toBe(3)
    expect(target.loggedRequests().filter((entry) => entry.path === '/trpc/system.whoami')).toEqual(
      [
        expect.objectContaining({ status: 200 }),
        expect.objectContaining({ status: 401, authError: 'expired_token' }),
        expect.objectContaining({ status: 200 }),
      ],
    )
    expect(onAuthFailure).not.toHaveBeenCalled()
    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(warden.session.isAuthenticated).toBe(true)
  })

  test('refresh-token reuse detected by the server: the session ends, onSessionExpired once', async () => {
    await using target = await startRealWarden({ backend })
    const storage = memoryStorage()
    const onSessionExpired = vi.fn()
    const { warden } = await signedInClient(target, { storage, onSessionExpired })
    const stolen = (await storage.get())?.refreshToken ?? ''
    expect(stolen).toMatch(/^wrt_/)
    // The thief rotates the token first; past the reuse interval our presentation is a reuse.
    const thief = await rawClient(target).auth.refresh.mutate({ refreshToken: stolen })
    target.clock.advance(Math.max(target.accessTokenTtlMs, target.refreshReuseIntervalMs) + 1000)

    const errors = await Promise.all(
      Array.from({ length: 10 }, () => rejectionOf(warden.api.projects.list.query())),
    )

    for (const error of errors) {
      expect(error).toBeInstanceOf(WardenClientError)
      expect(error).toMatchObject({ code: 'session_expired', reason: 'refresh_reused' })
    }
    expect(onSessionExpired).toHaveBeenCalledExactlyOnceWith('refresh_reused')
    expect(warden.session.isAuthenticated).toBe(false)
    expect(await storage.get()).toBeNull()
    // The thief's rotation and ours, which the server refused.
    expect(target.traffic.calls('auth.refresh')).toBe(2)
    expect(target.loggedRequests().filter((e) => e.path === '/trpc/auth.refresh')).toEqual([
      expect.objectContaining({ status: 200 }),
      expect.objectContaining({ status: 401 }),
    ])
    // The server revoked the whole family: the thief's successor is dead too.
    const thiefAgain = await rejectionOf(
      rawClient(target).auth.refresh.mutate({ refreshToken: thief.refreshToken ?? '' }),
    )
    expect(authErrorOf(thiefAgain)).toBe('refresh_revoked')
    expect(onSessionExpired).toHaveBeenCalledTimes(1)
  })
})

describe('single flight against the real server', () => {
  test('100 parallel calls across expiry: exactly one refresh request reaches the server', async () => {
    await using target = await startRealWarden()
    const { warden } = await signedInClient(target)
    await warden.api.projects.create.mutate({ name: 'Apollo' })
    target.clock.advance(target.accessTokenTtlMs)

    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0 ? warden.api.system.whoami.query() : warden.api.projects.list.query(),
      ),
    )

    expect(results).toHaveLength(100)
    expect(results[1]).toEqual([expect.objectContaining({ name: 'Apollo' })])
    expect(target.traffic.requestsFor('auth.refresh')).toBe(1)
    expect(logged(target, '/trpc/auth.refresh')).toBe(1)
    // Each call failed once with the expired token and was replayed once.
    expect(target.traffic.calls('system.whoami')).toBe(100)
    expect(target.traffic.calls('projects.list')).toBe(100)
  })
})

describe('cookie transport against the real server', () => {
  test('the refresh token lives only in the cookie; expiry is refreshed transparently', async () => {
    await using target = await startRealWarden()
    const jar = cookieJar(target.allowedOrigin)
    const issued: unknown[] = []
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await jar.fetch(input, init)
      if (/\/trpc\/auth\.(login|refresh)$/.test(new Request(input).url)) {
        issued.push(await response.clone().json())
      }
      return response
    }
    const onSessionExpired = vi.fn()
    const warden = createWardenClient<AppRouter>({
      url: target.url,
      transport: 'cookie',
      fetch: recordingFetch,
      onSessionExpired,
    })
    const account = await createAccount(target)
    await warden.login(account)
    const first = jar.get('warden_rt')
    expect(first).toMatch(/^wrt_/)

    target.clock.advance(target.accessTokenTtlMs)
    const me = await warden.api.auth.me.query()

    expect(me.email).toBe(account.email)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(target.traffic.calls('auth.me')).toBe(2)
    const refresh = target.traffic.requests.find((r) => r.procedures.includes('auth.refresh'))
    // The refresh presented the cookie, from the allowed origin, with nothing in the body.
    expect(refresh?.headers.get('cookie')).toBe(`warden_rt=${first}`)
    expect(refresh?.headers.get('origin')).toBe(target.allowedOrigin)
    expect(refresh?.headers.get('authorization')).toBeNull()
    expect(JSON.parse(refresh?.body ?? 'null')).toEqual({})
    // Neither the login's nor the refresh's answer put the refresh token within reach of scripts.
    expect(issued).toHaveLength(2)
    for (const answer of issued) {
      expect(answer).toEqual({
        result: { data: { accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 60 } },
      })
    }
    const rotated = jar.get('warden_rt')
    expect(rotated).toMatch(/^wrt_/)
    expect(rotated).not.toBe(first)
    expect(onSessionExpired).not.toHaveBeenCalled()

    await expect(warden.logout()).resolves.toEqual({ revoked: true })
    // The logout presented the cookie, so the server ended that family and cleared it.
    const logout = target.traffic.requests.find((r) => r.procedures.includes('auth.logout'))
    expect(logout?.headers.get('cookie')).toBe(`warden_rt=${rotated}`)
    expect(jar.get('warden_rt')).toBeUndefined()
    const afterLogout = await rejectionOf(
      rawClient(target).auth.refresh.mutate({ refreshToken: rotated ?? '' }),
    )
    expect(authErrorOf(afterLogout)).toBe('refresh_revoked')
    expect(warden.session.isAuthenticated).toBe(false)
  })

  test('a cookie login from an origin the server does not allow is refused', async () => {
    await using target = await startRealWarden()
    const jar = cookieJar('https://evil.example.test')
    const warden = createWardenClient<AppRouter>({
      url: target.url,
      transport: 'cookie',
      fetch: jar.fetch,
    })

    const error = await rejectionOf(warden.login(await createAccount(target)))

    expect(error).toMatchObject({ data: { code: 'FORBIDDEN', httpStatus: 403 } })
    expect(jar.get('warden_rt')).toBeUndefined()
    expect(warden.session.isAuthenticated).toBe(false)
  })
})

describe('no refresh: the error reaches the caller with its code', () => {
  test('wrong_audience: a token the real token endpoint issued for another API', async () => {
    await using target = await startRealWarden()
    const credentials = await target.createServiceClient({
      clientId: 'reports',
      audiences: ['reports-api'],
    })
    const foreign = await createServiceClient<AppRouter>({
      url: target.url,
      tokenUrl: target.tokenUrl,
      ...credentials,
      audience: 'reports-api',
    }).getToken()
    const onAuthFailure = vi.fn()
    const storage = memoryStorage()
    await storage.set({ accessToken: foreign, expiresAt: 0, refreshToken: 'wrt_unused' })
    const warden = createWardenClient<AppRouter>({
      url: target.url,
      transport: 'bearer',
      storage,
      onAuthFailure,
    })

    const error = await rejectionOf(warden.api.system.whoami.query())

    expect(error).toBeInstanceOf(TRPCClientError)
    expect(authErrorOf(error)).toBe('wrong_audience')
    expect(error).toMatchObject({ data: { code: 'UNAUTHORIZED', httpStatus: 401 } })
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('wrong_audience')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
    expect(warden.session.isAuthenticated).toBe(true)
  })

  test('revoked_token after logoutAll from another client; its refresh then ends the session', async () => {
    await using target = await startRealWarden()
    const account = await createAccount(target)
    const onSessionExpired = vi.fn()
    const { warden } = await signedInClient(target, { account, onSessionExpired })
    target.clock.advance(1000)
    const { warden: elsewhere } = await signedInClient(target, { account })
    await elsewhere.api.auth.logoutAll.mutate()

    const error = await rejectionOf(warden.api.auth.me.query())

    expect(error).toBeInstanceOf(TRPCClientError)
    expect(authErrorOf(error)).toBe('revoked_token')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
    expect(onSessionExpired).not.toHaveBeenCalled()

    // The families are revoked too: once its access token expires, the session is over.
    target.clock.advance(target.accessTokenTtlMs)
    const ended = await rejectionOf(warden.api.auth.me.query())
    expect(ended).toMatchObject({ code: 'session_expired', reason: 'refresh_revoked' })
    expect(onSessionExpired).toHaveBeenCalledExactlyOnceWith('refresh_revoked')
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('403 insufficient_scope: a member deleting a project', async () => {
    await using target = await startRealWarden()
    const onAuthFailure = vi.fn()
    const { warden } = await signedInClient(target, { onAuthFailure })
    const project = await warden.api.projects.create.mutate({ name: 'Apollo' })

    const error = await rejectionOf(warden.api.projects.delete.mutate({ id: project.id }))

    expect(authErrorOf(error)).toBe('insufficient_scope')
    expect(error).toMatchObject({ data: { code: 'FORBIDDEN', httpStatus: 403 } })
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('insufficient_scope')
    expect(target.traffic.calls('auth.refresh')).toBe(0)
    expect(await warden.api.projects.list.query()).toEqual([project])
  })

  test('a server that keeps answering expired_token (a replica whose clock is ahead): one refresh', async () => {
    await using target = await startRealWarden({ replicaAheadMs: 2 * 3600_000 })
    const { warden } = await signedInClient(target)

    const single = await rejectionOf(warden.api.system.whoami.query())

    expect(authErrorOf(single)).toBe('expired_token')
    expect(target.traffic.requestsFor('system.whoami')).toBe(2)
    expect(target.traffic.calls('auth.refresh')).toBe(1)

    target.traffic.clear()
    const batch = await Promise.all(
      Array.from({ length: 3 }, () => rejectionOf(warden.api.projects.list.query())),
    )
    expect(batch.map(authErrorOf)).toEqual(['expired_token', 'expired_token', 'expired_token'])
    // One batch, one shared refresh, one replayed batch.
    expect(target.traffic.requestsFor('projects.list')).toBe(2)
    expect(target.traffic.calls('projects.list')).toBe(6)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(warden.session.isAuthenticated).toBe(true)
  })
})
