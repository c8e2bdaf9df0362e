import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { signIn } from './app-driver.ts'
import { chromiumFound, launchChromium, screenshot, watchProblems } from './chromium.ts'
import { startWebWarden, type WebWarden } from './warden-fixture.ts'

const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Main' }).getByRole('link')

describe.skipIf(!chromiumFound)('the admin page in Chromium', { timeout: 60_000 }, () => {
  let warden: WebWarden
  let browser: Browser
  const admin = 'root@example.com'
  const member = 'bob@example.com'

  beforeAll(async () => {
    ;[warden, browser] = await Promise.all([startWebWarden(), launchChromium()])
    await warden.register(admin)
    await warden.setRoles(admin, ['member', 'admin'])
    await warden.addToTenantOf(admin, member, ['member'])
  })

  afterAll(async () => {
    await browser.close()
    await warden.close()
  })

  async function signedIn(email: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    await signIn(page, warden.url, email)
    return { context, page }
  }

  it('a member sees no admin link, and the server refuses the page when it is opened anyway', async () => {
    const { context, page } = await signedIn(member)
    try {
      const problems = watchProblems(page)
      await expect(navLinks(page).allTextContents()).resolves.toEqual([
        'Projects',
        'Invoices',
        'Session',
      ])

      const before = warden.requests.length
      await page.goto(`${warden.url}/admin`)
      const refusal = page.locator('.refused .error-note')
      await refusal.waitFor()
      await expect(refusal.getAttribute('data-status')).resolves.toBe('403')
      await expect(refusal.textContent()).resolves.toContain(
        'Refused by the server (403 FORBIDDEN · insufficient_scope)',
      )
      expect(await page.locator('[data-list="users"]').count()).toBe(0)
      await expect(navLinks(page).allTextContents()).resolves.not.toContain('Admin')
      const adminCalls = warden.requests
        .slice(before)
        .filter((request) => request.path.startsWith('/trpc/admin.'))
      expect(adminCalls.map((request) => request.status)).toEqual([403])
      await screenshot(page, '07-admin-refused-to-member')
      expect(problems).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('an admin sees the link, the tenant’s users, changes a role, and approves invoices', async () => {
    const { context, page } = await signedIn(admin)
    try {
      const problems = watchProblems(page)
      await expect(navLinks(page).allTextContents()).resolves.toEqual([
        'Projects',
        'Invoices',
        'Session',
        'Admin',
      ])
      await page.getByRole('link', { name: 'Admin', exact: true }).click()
      const rows = page.locator('[data-list="users"] tbody tr')
      await rows.first().waitFor()
      await expect(rows.locator('td:first-child').allTextContents()).resolves.toEqual(
        expect.arrayContaining([admin, member]),
      )
      const bob = rows.filter({ hasText: member })
      await bob.getByRole('checkbox', { name: 'manager' }).check()
      await bob.getByRole('button', { name: 'Save' }).click()
      await expect.poll(() => warden.rolesOf(member)).toEqual(['member', 'manager'])
      // The list reloads with the saved roles: nothing left to save.
      await expect.poll(() => bob.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true)
      await screenshot(page, '08-admin')

      await page.getByRole('link', { name: 'Invoices', exact: true }).click()
      await page.getByLabel('Amount').fill('480')
      await page.getByLabel('Description').fill('Security audit')
      await page.getByRole('button', { name: 'Create invoice' }).click()
      await page.getByRole('button', { name: 'Approve Security audit' }).click()
      const row = page.locator('[data-list="invoices"] tbody tr', { hasText: 'Security audit' })
      await row.locator('.badge.approved').waitFor()
      await screenshot(page, '09-invoices-approved-by-admin')
      expect(problems).toEqual([])
    } finally {
      await context.close()
    }
  })
})
