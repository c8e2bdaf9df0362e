import { describe, expect, test, vi } from 'vitest'

import {
  createWardenClient,
  type CrossTabOptions,
  type LockManagerLike,
  type WardenClient,
  type WardenClientOptions,
} from '../src/index.ts'
import { createAccount, nextSessionChange, rejectionOf } from './harness/clients.ts'
import { createFakeBrowser, type FakeBrowser } from './harness/fake-browser.ts'
import {
  createFakeChannelHub,
  createFakeLockManager,
  type FakeChannelHub,
} from './harness/fake-tabs.ts'
import { createFakeTimers, createManualClock, type FakeTimers } from './harness/fake-time.ts'
import {
  authFailureFault,
  startTarget,
  type TargetRouter,
  type WardenTarget,
} from './harness/target.ts'

interface Browser {
  readonly target: WardenTarget
  readonly browser: FakeBrowser
  readonly locks: LockManagerLike
  readonly hub: FakeChannelHub
  readonly timers: FakeTimers
  readonly tab: (
    name: string,
    options?: Omit<Partial<WardenClientOptions<TargetRouter>>, 'crossTab'> & {
      crossTab?: CrossTabOptions
    },
  ) => WardenClient<TargetRouter>
}

/** One browser (cookie jar, lock manager, channels) whose tabs are Warden clients. */
function openBrowser(
  target: WardenTarget,
  parts: { locks?: LockManagerLike | null; channels?: boolean } = {},
): Browser {
  const browser = createFakeBrowser(target.allowedOrigin)
  const locks = parts.locks === undefined ? createFakeLockManager() : parts.locks
  const hub = createFakeChannelHub()
  const timers = createFakeTimers(createManualClock(target.clock.now()))
  return {
    target,
    browser,
    locks: locks ?? createFakeLockManager(),
    hub,
    timers,
    tab: (name, options = {}) =>
      createWardenClient<TargetRouter>({
        url: target.url,
        transport: 'cookie',
        fetch: browser.fetch,
        timers,
        clock: timers.clock,
        // Tag each tab's requests so the server side can tell them apart.
        headers: () => ({ 'x-tab': name }),
        ...options,
        crossTab: {
          locks,
          channel: parts.channels === false ? null : hub.channel('warden-session'),
          lockTimeoutMs: 5000,
          ...options.crossTab,
        },
      }),
  }
}

const refreshesBy = (target: WardenTarget, tab: string) =>
  target.traffic.requests.filter(
    (r) => r.procedures.includes('auth.refresh') && r.headers.get('x-tab') === tab,
  ).length

describe('cross-tab (cookie transport)', () => {
  test('a login in one tab signs the other tabs in through the channel', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target)
    const a = tab('a')
    const b = tab('b')

    await a.login(await createAccount(target))
    await hub.settle()

    expect(b.session.isAuthenticated).toBe(true)
    await expect(b.api.system.whoami.query()).resolves.toMatchObject({ clientId: 'warden-web' })
    expect(target.traffic.calls('auth.refresh')).toBe(0)
  })

  test('both tabs past expiry call at once: one refresh; the other tab gets the token by the channel', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target)
    const a = tab('a')
    const b = tab('b')
    await a.login(await createAccount(target))
    await hub.settle()
    target.clock.advance(target.accessTokenTtlMs)

    const [fromA, fromB] = await Promise.all([
      a.api.system.whoami.query(),
      b.api.system.whoami.query(),
    ])

    expect(fromA.sub).toBe(fromB.sub)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(refreshesBy(target, 'a') + refreshesBy(target, 'b')).toBe(1)
    // Both replays carried the one new token.
    const replays = target.traffic.requests
      .filter((r) => r.procedures.includes('system.whoami'))
      .slice(-2)
      .map((r) => r.headers.get('authorization'))
    expect(replays[0]).toBe(replays[1])
    expect(hub.posted.filter((m) => (m as { type: string }).type === 'tokens')).toHaveLength(2)
  })

  test('ten tabs past expiry: one refresh', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target)
    const tabs = Array.from({ length: 10 }, (_, index) => tab(`t${index}`))
    await tabs[0]?.login(await createAccount(target))
    await hub.settle()
    target.clock.advance(target.accessTokenTtlMs)

    await Promise.all(tabs.map((t) => t.api.system.whoami.query()))

    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('a lock abandoned by a hung tab is stolen after the timeout; nothing deadlocks', async () => {
    await using target = await startTarget()
    const locks = createFakeLockManager()
    const { tab, timers } = openBrowser(target, { locks })
    const a = tab('a')
    await a.login(await createAccount(target))
    // A frozen tab took the lock and will never give it back.
    const hung = locks.request('warden-refresh', {}, () => new Promise<never>(() => undefined))
    const hungOutcome = rejectionOf(hung)

    const refreshing = a.refresh()
    await vi.waitFor(() => {
      expect(timers.pending().length).toBeGreaterThan(0)
    })
    timers.advance(4999)
    await new Promise((resolve) => setImmediate(resolve))
    expect(target.traffic.calls('auth.refresh')).toBe(0)
    timers.advance(1)
    await refreshing

    expect(await hungOutcome).toMatchObject({ name: 'AbortError' })
    expect(locks.steals).toBe(1)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
    expect(a.session.isAuthenticated).toBe(true)
  })

  test('a tab whose refresh hangs on the network: the other steals, and the reuse interval keeps both sessions', async () => {
    await using target = await startTarget()
    const { tab, hub, timers } = openBrowser(target)
    const onSessionExpired = vi.fn()
    const a = tab('a', { onSessionExpired })
    const b = tab('b', { onSessionExpired })
    await a.login(await createAccount(target))
    await hub.settle()
    const stuck = target.hold(
      (r) => r.procedures.includes('auth.refresh') && r.headers.get('x-tab') === 'a',
    )

    const aRefresh = a.refresh()
    await vi.waitFor(() => {
      expect(stuck.held).toBe(1)
    })
    const bRefresh = b.refresh()
    await vi.waitFor(() => {
      expect(timers.pending().length).toBeGreaterThan(0)
    })
    timers.advance(5000)
    await bRefresh
    stuck.release()
    await aRefresh

    // The server saw the same cookie twice within its reuse interval: same successor, no theft.
    expect(target.traffic.calls('auth.refresh')).toBe(2)
    expect(onSessionExpired).not.toHaveBeenCalled()
    expect(a.session.isAuthenticated && b.session.isAuthenticated).toBe(true)
    await expect(a.api.system.whoami.query()).resolves.toBeDefined()
    await expect(b.refresh()).resolves.toBeUndefined()
  })

  test('a refresh refused in one tab ends the session in every tab, each told once', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target)
    const expiredA = vi.fn()
    const expiredB = vi.fn()
    const a = tab('a', { onSessionExpired: expiredA })
    const b = tab('b', { onSessionExpired: expiredB })
    const account = await createAccount(target)
    await a.login(account)
    await hub.settle()
    const elsewhere = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })
    await elsewhere.login(account)
    await elsewhere.api.auth.logoutAll.mutate()
    target.clock.advance(target.accessTokenTtlMs)

    const error = await rejectionOf(a.api.system.whoami.query())
    await hub.settle()

    expect(error).toMatchObject({ code: 'session_expired', reason: 'refresh_revoked' })
    expect(expiredA).toHaveBeenCalledExactlyOnceWith('refresh_revoked')
    expect(expiredB).toHaveBeenCalledExactlyOnceWith('refresh_revoked')
    expect(b.session.isAuthenticated).toBe(false)
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('a logout in one tab signs the others out', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target)
    const expiredA = vi.fn()
    const expiredB = vi.fn()
    const a = tab('a', { onSessionExpired: expiredA })
    const b = tab('b', { onSessionExpired: expiredB })
    await a.login(await createAccount(target))
    await hub.settle()
    const signedOut = nextSessionChange(b)

    await a.logout()
    await hub.settle()

    expect(await signedOut).toEqual({ isAuthenticated: false, expiresAt: null })
    expect(expiredA).not.toHaveBeenCalled()
    expect(expiredB).toHaveBeenCalledExactlyOnceWith('logged_out')
  })

  test('a new tab whose restore fails does not sign out a tab that has a session', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target)
    const a = tab('a')
    await a.login(await createAccount(target))
    await hub.settle()
    target.addFault(
      authFailureFault('invalid_refresh_token', (r) => r.headers.get('x-tab') === 'fresh'),
    )
    const fresh = tab('fresh')
    // The fresh tab heard nothing yet (it opened after the login).
    expect(fresh.session.isAuthenticated).toBe(false)

    await expect(fresh.refresh()).rejects.toMatchObject({ code: 'session_expired' })
    await hub.settle()

    expect(a.session.isAuthenticated).toBe(true)
  })

  test('without a lock manager the tabs still work (two refreshes, both valid)', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target, { locks: null })
    const a = tab('a')
    const b = tab('b')
    await a.login(await createAccount(target))
    await hub.settle()
    target.clock.advance(target.accessTokenTtlMs)

    await Promise.all([a.api.system.whoami.query(), b.api.system.whoami.query()])

    expect(target.traffic.calls('auth.refresh')).toBeGreaterThanOrEqual(1)
    expect(target.traffic.calls('auth.refresh')).toBeLessThanOrEqual(2)
    expect(a.session.isAuthenticated && b.session.isAuthenticated).toBe(true)
  })

  test('without a channel the lock still serialises the refreshes; each tab refreshes itself', async () => {
    await using target = await startTarget()
    const { tab } = openBrowser(target, { channels: false })
    const a = tab('a')
    const b = tab('b')
    await a.login(await createAccount(target))
    await b.refresh()
    target.clock.advance(target.accessTokenTtlMs)

    await Promise.all([a.api.system.whoami.query(), b.api.system.whoami.query()])

    expect(refreshesBy(target, 'a')).toBe(1)
    expect(refreshesBy(target, 'b')).toBe(2)
  })

  test('a lock manager that refuses (opaque origin) degrades to an unguarded refresh', async () => {
    await using target = await startTarget()
    const broken: LockManagerLike = {
      request: () => Promise.reject(new DOMException('denied', 'SecurityError')),
    }
    const { tab } = openBrowser(target, { locks: broken })
    const a = tab('a')
    await a.login(await createAccount(target))

    await expect(a.refresh()).resolves.toBeUndefined()
    expect(target.traffic.calls('auth.refresh')).toBe(1)
  })

  test('messages from other senders on the channel are ignored', async () => {
    await using target = await startTarget()
    const { tab, hub } = openBrowser(target)
    const a = tab('a')
    const stranger = hub.channel('warden-session')

    const expiresAt = target.clock.now() + 1e9
    stranger.postMessage({ type: 'tokens', accessToken: 'at_forged', expiresAt })
    const envelope = { protocol: 'warden-session/1', scope: `${target.url}/trpc` }
    stranger.postMessage({ ...envelope, type: 'tokens', accessToken: 42, expiresAt })
    // About another server sharing the origin's channel.
    stranger.postMessage({
      ...envelope,
      scope: 'https://other.example/trpc',
      type: 'tokens',
      accessToken: 'at_x',
      expiresAt,
    })
    stranger.postMessage('hello')
    await hub.settle()

    expect(a.session.isAuthenticated).toBe(false)
    // The same message, well-formed and about this server, is taken.
    stranger.postMessage({ ...envelope, type: 'tokens', accessToken: 'at_x', expiresAt })
    await hub.settle()
    expect(a.session.isAuthenticated).toBe(true)
  })

  test('close() closes the channel', async () => {
    await using target = await startTarget()
    const hub = createFakeChannelHub()
    const channel = hub.channel('warden-session')
    const a = createWardenClient<TargetRouter>({
      url: target.url,
      transport: 'cookie',
      crossTab: { locks: null, channel },
    })

    a.close()

    expect(channel.closed).toBe(true)
  })
})
