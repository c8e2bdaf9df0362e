import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { bannerText, signIn, visibleErrors } from './app-driver.ts'
import { chromiumFound, launchChromium, screenshot, watchProblems } from './chromium.ts'
import { startWebWarden, type WebWarden } from './warden-fixture.ts'

async function refreshCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === 'warden_rt')?.value
}

describe.skipIf(!chromiumFound)('tabs and session endings in Chromium', { timeout: 60_000 }, () => {
  let warden: WebWarden
  let browser: Browser

  beforeAll(async () => {
    ;[warden, browser] = await Promise.all([startWebWarden(), launchChromium()])
  })

  afterAll(async () => {
    await browser.close()
    await warden.close()
  })

  describe('two tabs of one browser', () => {
    const email = 'grace@example.com'
    let context: BrowserContext
    let first: Page
    let second: Page
    const problems: string[][] = []

    beforeAll(async () => {
      await warden.register(email)
      context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      first = await context.newPage()
      second = await context.newPage()
      problems.push(watchProblems(first), watchProblems(second))
      await signIn(first, warden.url, email)
      // The second tab restores the session from the cookie, as a reload would.
      await second.goto(`${warden.url}/projects`)
      await second.getByRole('heading', { level: 1, name: 'Projects', exact: true }).waitFor()
    })

    afterAll(async () => {
      await context.close()
    })

    it('both act at once past expiry: both succeed, one refresh reaches the server, the family lives on', async () => {
      await first.getByLabel('Project name').fill('From the first tab')
      await second.getByLabel('Project name').fill('From the second tab')
      const cookieBefore = await refreshCookie(context)
      const before = warden.requests.length
      warden.expireAccessTokens()
      warden.holdUntilArrived('/trpc/projects.create', 2)

      await Promise.all([
        first.getByRole('button', { name: 'Create project' }).click(),
        second.getByRole('button', { name: 'Create project' }).click(),
      ])
      const rows = (page: Page, name: string) =>
        page.locator('[data-list="projects"] .row-title', { hasText: name }).waitFor()
      await Promise.all([rows(first, 'From the first tab'), rows(second, 'From the second tab')])

      const seen = warden.requests.slice(before)
      const creates = seen.filter((r) => r.path.includes('projects.create'))
      // Both calls left with the expired token and were refused, then replayed with the one
      // new token.
      const trail = warden.trail(before)
      expect(
        creates.map((r) => r.status),
        trail,
      ).toEqual([401, 401, 200, 200])
      expect(
        warden.refreshes(before).map((r) => r.status),
        trail,
      ).toEqual([200])
      expect(await refreshCookie(context)).not.toBe(cookieBefore)
      // With REFRESH_REUSE_INTERVAL=0, a second presentation of the old token would have
      // revoked the family; it is alive.
      expect(await warden.activeSessions(email)).toHaveLength(1)
      expect(await visibleErrors(first)).toEqual([])
      expect(await visibleErrors(second)).toEqual([])
      expect(problems.flat()).toEqual([])
    })

    it('signing out in one tab ends the other, which says it was signed out elsewhere', async () => {
      await first.getByRole('button', { name: 'Sign out' }).first().click()
      await expect(bannerText(first)).resolves.toContain('You are signed out')
      await expect(bannerText(second)).resolves.toContain('signed out elsewhere')
      await second.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
      await screenshot(second, '05-signed-out-elsewhere')
      expect(await warden.activeSessions(email)).toEqual([])
      expect(await context.cookies()).toEqual([])
    })
  })

  it('the session panel lists each device; revoking one, or signing out everywhere, ends it there', async () => {
    const email = 'two-devices@example.com'
    await warden.register(email)
    const laptop = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    // Another device, as its User-Agent tells the session list.
    const phone = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
    })
    try {
      const here = await laptop.newPage()
      const there = await phone.newPage()
      await signIn(here, warden.url, email)
      await signIn(there, warden.url, email)

      await here.getByRole('link', { name: 'Session', exact: true }).click()
      const rows = here.locator('[data-list="sessions"] tbody tr')
      await expect.poll(() => rows.count()).toBe(2)
      await expect(rows.locator('td:first-child').allTextContents()).resolves.toEqual(
        expect.arrayContaining(['Chrome (headless) on Linux', 'Firefox on Windows']),
      )
      await screenshot(here, '10-sessions-two-devices')

      await rows
        .filter({ hasText: 'Firefox on Windows' })
        .getByRole('button', { name: 'Revoke' })
        .click()
      await expect.poll(() => rows.count()).toBe(1)
      // The other device keeps its access token until it expires, then cannot renew it.
      warden.expireAccessTokens()
      await there.getByRole('button', { name: 'Reload' }).click()
      await expect(bannerText(there)).resolves.toBe(
        'Your session ended: it was signed out elsewhere or revoked; please sign in again.',
      )

      // Back on the other device; then "sign out everywhere" from this one ends it at once:
      // its access token is revoked with every session, no expiry needed.
      await signIn(there, warden.url, email)
      await here.getByRole('button', { name: 'Sign out everywhere' }).click()
      await expect(bannerText(here)).resolves.toBe('You are signed out on every device and tab.')
      await there.getByRole('button', { name: 'Reload' }).click()
      await expect(bannerText(there)).resolves.toBe(
        'Your session ended: it was signed out elsewhere or revoked; please sign in again.',
      )
      expect(await warden.activeSessions(email)).toEqual([])
      expect(await laptop.cookies()).toEqual([])
      expect(await phone.cookies()).toEqual([])
    } finally {
      await laptop.close()
      await phone.close()
    }
  })

  it('a refresh token replayed by a thief ends the session with a clear message', async () => {
    const email = 'mallory-victim@example.com'
    await warden.register(email)
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    try {
      const page = await context.newPage()
      await signIn(page, warden.url, email)
      const stolen = await refreshCookie(context)
      expect(stolen).toMatch(/^wrt_/)

      // The thief, outside any browser, rotates the stolen token first and gets its successor.
      const theft = await fetch(`${warden.url}/trpc/auth.refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: `warden_rt=${stolen ?? ''}` },
        body: '{}',
      })
      expect(theft.status).toBe(200)
      const successor = /warden_rt=([^;]+)/.exec(theft.headers.get('set-cookie') ?? '')?.[1]
      expect(successor).toMatch(/^wrt_/)

      // The victim's tab then needs a new access token and presents the already used one.
      warden.expireAccessTokens()
      await page.getByRole('button', { name: 'Reload' }).click()
      await expect(bannerText(page)).resolves.toBe(
        'Your session ended: the refresh token was reused (possible theft); please sign in again.',
      )
      await expect(page.locator('.notice-region').getAttribute('role')).resolves.toBe('alert')
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
      await screenshot(page, '06-session-ended-reuse')

      // The whole family is revoked: the thief's successor is worthless too.
      expect(await warden.activeSessions(email)).toEqual([])
      const replay = await fetch(`${warden.url}/trpc/auth.refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: `warden_rt=${successor ?? ''}` },
        body: '{}',
      })
      expect(replay.status).toBe(401)
      expect(await context.cookies()).toEqual([])
    } finally {
      await context.close()
    }
  })
})
