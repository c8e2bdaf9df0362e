import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createProject, signIn, visibleErrors } from './app-driver.ts'
import { chromiumFound, launchChromium, screenshot, watchProblems } from './chromium.ts'
import { WEB_APP_CSP_EXPECTED } from './csp.ts'
import { startWebWarden, type WebWarden } from './warden-fixture.ts'

describe.skipIf(!chromiumFound)('the signed-in app in Chromium', { timeout: 60_000 }, () => {
  let warden: WebWarden
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let problems: string[]
  const requestedUrls: string[] = []
  const email = 'ada@example.com'

  beforeAll(async () => {
    ;[warden, browser] = await Promise.all([startWebWarden(), launchChromium()])
    await warden.register(email)
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    problems = watchProblems(page)
    page.on('request', (request) => requestedUrls.push(request.url()))
  })

  afterAll(async () => {
    await browser.close()
    await warden.close()
  })

  it('signs in, shows the tenant’s data, and renews an expired access token with one refresh and no visible error', async () => {
    await page.goto(warden.url)
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
    await screenshot(page, '01-sign-in')

    await signIn(page, warden.url, email)
    await createProject(page, 'Apollo')
    await expect(page.locator('.who .roles').textContent()).resolves.toBe('member')

    const before = warden.requests.length
    warden.expireAccessTokens()
    await createProject(page, 'Gemini')

    const trail = warden.trail(before)
    expect(
      warden.refreshes(before).map((r) => r.status),
      trail,
    ).toEqual([200])
    // The create was refused once for the expired token, then replayed with the new one.
    const creates = warden.requests.slice(before).filter((r) => r.path.includes('projects.create'))
    expect(
      creates.map((r) => r.status),
      trail,
    ).toEqual([401, 200])
    expect(await visibleErrors(page)).toEqual([])
    await expect(
      page.locator('[data-list="projects"] .row-title').allTextContents(),
    ).resolves.toEqual(expect.arrayContaining(['Apollo', 'Gemini']))
    await screenshot(page, '02-projects')

    await page.getByRole('link', { name: 'Session', exact: true }).click()
    await expect(page.locator('[data-last-refresh]').textContent()).resolves.toMatch(
      /\(1 refresh in this tab\)/,
    )
    await page.locator('[data-list="sessions"] tbody tr').first().waitFor()
    await screenshot(page, '03-session')
    await page.emulateMedia({ colorScheme: 'dark' })
    await screenshot(page, '03-session-dark')
    await page.emulateMedia({ colorScheme: 'light' })
    expect(problems).toEqual([])
  })

  it('creates and lists invoices; a member sees no approve button', async () => {
    await page.getByRole('link', { name: 'Invoices', exact: true }).click()
    await page.getByLabel('Amount').fill('1,250.50')
    await page.getByLabel('Description').fill('Design review, November')
    await page.getByRole('button', { name: 'Create invoice' }).click()
    const row = page.locator('[data-list="invoices"] tbody tr', { hasText: 'Design review' })
    await row.waitFor()
    await expect(row.textContent()).resolves.toContain('$1,250.50')
    await expect(row.textContent()).resolves.toContain('pending')
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0)
    await screenshot(page, '04-invoices')
    expect(problems).toEqual([])
  })

  it('keeps every token out of script reach: no cookie, storage, URL or DOM holds one', async () => {
    const seen = await page.evaluate(async () => {
      const entries = (storage: Storage) =>
        Array.from({ length: storage.length }, (_, i) => {
          const key = storage.key(i) ?? ''
          return `${key}=${storage.getItem(key) ?? ''}`
        })
      return {
        cookie: document.cookie,
        local: entries(localStorage),
        session: entries(sessionStorage),
        indexedDb: (await indexedDB.databases()).map((db) => db.name),
        caches: await caches.keys(),
        href: location.href,
        html: document.documentElement.outerHTML,
      }
    })
    expect(seen.cookie).toBe('')
    expect(seen.local).toEqual([])
    expect(seen.session).toEqual([])
    expect(seen.indexedDb).toEqual([])
    expect(seen.caches).toEqual([])
    expect(seen.href).toBe(`${warden.url}/invoices`)
    // A compact JWS starts with the base64url of `{"`; refresh tokens with `wrt_`.
    expect(seen.html).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
    expect(seen.html).not.toContain('wrt_')

    const tokenInUrl = requestedUrls.filter((url) => /eyJ|wrt_|token=/i.test(url))
    expect(tokenInUrl).toEqual([])

    // The refresh token is where it belongs: an HttpOnly, Secure, SameSite=Strict cookie.
    const cookies = await context.cookies()
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatchObject({
      name: 'warden_rt',
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
      path: '/',
    })
    expect(cookies[0]?.value).toMatch(/^wrt_[\w-]{43}$/)
  })

  it('serves the page with a CSP that blocks inline script, eval and HTML sinks', async () => {
    const response = await page.goto(`${warden.url}/projects`)
    const csp = response?.headers()['content-security-policy']
    expect(csp).toBe(WEB_APP_CSP_EXPECTED)
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    await page.getByRole('heading', { level: 1, name: 'Projects', exact: true }).waitFor()
    expect(problems).toEqual([])

    const attempts = await page.evaluate(async () => {
      const outcome = (attempt: () => void) => {
        try {
          attempt()
          return 'ran'
        } catch (error) {
          return error instanceof Error ? error.name : 'thrown'
        }
      }
      const flag = () => (window as { pwned?: boolean }).pwned === true
      return {
        innerHtml: outcome(() => {
          document.body.insertAdjacentHTML('beforeend', '<img src=x onerror="window.pwned=true">')
        }),
        scriptText: outcome(() => {
          const script = document.createElement('script')
          script.textContent = 'window.pwned = true'
          document.body.append(script)
        }),
        // From a task of the page's own (DevTools' evaluation itself is exempt from the CSP).
        evaluate: await new Promise<string>((resolve) => {
          setTimeout(() => {
            resolve(
              outcome(() => {
                // eslint-disable-next-line @typescript-eslint/no-implied-eval
                new Function('window.pwned = true')()
              }),
            )
          }, 0)
        }),
        pwned: flag(),
      }
    })
    expect(attempts).toEqual({
      innerHtml: 'TypeError',
      scriptText: 'TypeError',
      evaluate: 'EvalError',
      pwned: false,
    })
    // Chromium reports each blocked sink: the HTML one, the script text, the eval.
    expect(problems).toEqual([
      "error: This document requires 'TrustedHTML' assignment. The action has been blocked.",
      "error: This document requires 'TrustedScript' assignment. The action has been blocked.",
      "error: This document requires 'TrustedScript' assignment. The action has been blocked.",
    ])
  })
})
