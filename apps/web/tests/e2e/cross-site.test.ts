import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createProject, signIn } from './app-driver.ts'
import { chromiumFound, launchChromium } from './chromium.ts'
import { startWebWarden, type WebWarden } from './warden-fixture.ts'

const ATTACKER_PAGE = '<!doctype html><title>Win a prize</title><h1>Claim your prize</h1>'

/** A page on another origin that tries to use the victim's session. */
function startAttacker(): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(ATTACKER_PAGE)
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, port: (server.address() as AddressInfo).port })
    })
  })
}

/** What a script on the attacker's page can do with `fetch`; each outcome as seen there. */
async function fetchAttacks(page: Page, target: string) {
  return page.evaluate(async (api) => {
    const attempt = async (path: string, init: RequestInit) => {
      try {
        const response = await fetch(`${api}/trpc/${path}`, { credentials: 'include', ...init })
        return response.type === 'opaque' ? 'opaque' : `read ${response.status}`
      } catch (error) {
        return error instanceof TypeError ? 'blocked' : 'thrown'
      }
    }
    return {
      // A JSON POST needs a CORS preflight, which the server does not grant to this origin.
      refreshJson: await attempt('auth.refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
      // A "simple" request goes out without asking: the server must refuse it on its own.
      refreshSimple: await attempt('auth.refresh', {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      }),
      logoutAllSimple: await attempt('auth.logoutAll', {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      }),
      readProjects: await attempt('projects.list', { method: 'GET' }),
    }
  }, target)
}

/** A classic CSRF: a form the page submits (a top-level navigation, cookies included). */
async function formPost(page: Page, action: string, enctype: string) {
  await Promise.all([
    page.waitForURL(action),
    page.evaluate(
      ({ action, enctype }) => {
        const form = document.createElement('form')
        form.method = 'POST'
        form.action = action
        form.enctype = enctype
        const input = document.createElement('input')
        input.type = 'hidden'
        // As text/plain the body is `{"ignored":"="}`: JSON, smuggled in a simple request.
        input.name = '{"ignored":"'
        input.value = '"}'
        form.append(input)
        document.body.append(form)
        form.submit()
      },
      { action, enctype },
    ),
  ])
}

describe.skipIf(!chromiumFound)(
  'another origin cannot use the session',
  { timeout: 60_000 },
  () => {
    let warden: WebWarden
    let browser: Browser
    let attacker: { server: Server; port: number }
    let context: BrowserContext
    let victim: Page
    const email = 'victim@example.com'

    beforeAll(async () => {
      ;[warden, browser, attacker] = await Promise.all([
        startWebWarden(),
        launchChromium(),
        startAttacker(),
      ])
      await warden.register(email)
      context = await browser.newContext()
      victim = await context.newPage()
      await signIn(victim, warden.url, email)
    })

    afterAll(async () => {
      await browser.close()
      attacker.server.close()
      await warden.close()
    })

    // 127.0.0.1 on another port is another origin but the same site: the browser sends the
    // SameSite=Strict cookie along, and only the server's Origin check stands in the way.
    // localhost is another site: the cookie stays home, and the Origin check refuses as well.
    it.each([
      ['same-site', (port: number) => `http://127.0.0.1:${port}`, true],
      ['cross-site', (port: number) => `http://localhost:${port}`, false],
    ])(
      'a %s page: every attempt is refused, nothing is rotated or revoked',
      async (_kind, originOf, cookieSent) => {
        const attackerOrigin = originOf(attacker.port)
        const cookieBefore = await context.cookies()
        const sessionsBefore = await warden.activeSessions(email)
        const before = warden.requests.length
        const page = await context.newPage()
        try {
          await page.goto(`${attackerOrigin}/prize`)
          expect(await fetchAttacks(page, warden.url)).toEqual({
            refreshJson: 'blocked',
            refreshSimple: 'opaque',
            logoutAllSimple: 'opaque',
            readProjects: 'blocked',
          })
          await page.goto(`${attackerOrigin}/prize`)
          await formPost(page, `${warden.url}/trpc/auth.refresh`, 'text/plain')
          await page.goto(`${attackerOrigin}/prize`)
          await formPost(
            page,
            `${warden.url}/trpc/auth.logout`,
            'application/x-www-form-urlencoded',
          )
        } finally {
          await page.close()
        }

        const fromAttacker = warden.requests
          .slice(before)
          .filter((request) => request.origin === attackerOrigin && request.method === 'POST')
        // What a page can send without a preflight (text/plain, form bodies) is not JSON, and the
        // tRPC endpoint takes nothing else (415). A JSON body needs the preflight the server
        // refuses to other origins. The Origin check behind both is covered by the server tests.
        expect(fromAttacker.map((r) => `${r.path} ${r.status}`)).toEqual([
          '/trpc/auth.refresh 415',
          '/trpc/auth.logoutAll 415',
          '/trpc/auth.refresh 415',
          '/trpc/auth.logout 415',
        ])
        for (const request of fromAttacker) {
          expect(request.withCookie).toBe(cookieSent)
          expect(request.setCookies).toEqual([])
        }
        // The preflighted JSON POST never left the browser; the read was refused by CORS.
        expect(
          warden.requests.slice(before).filter((r) => r.method === 'OPTIONS').length,
        ).toBeGreaterThan(0)

        expect(warden.refreshes(before).filter((r) => r.status === 200)).toEqual([])
        expect(await context.cookies()).toEqual(cookieBefore)
        expect(await warden.activeSessions(email)).toEqual(sessionsBefore)
        // And the victim's tab carries on as if nothing happened.
        await createProject(victim, `Still here after the ${_kind} page`)
      },
    )
  },
)
