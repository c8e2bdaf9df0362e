import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core'

/** Debian's Chromium, or the one `CHROMIUM_PATH` names. No browser is ever downloaded. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/** Whether the browser tests can run here. */
export const chromiumFound = existsSync(CHROMIUM_PATH)

/** What a run without Chromium says, once, instead of failing. */
export const SKIP_MESSAGE = `browser tests skipped: Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`

/** Where the screenshots go (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-results/', import.meta.url))

/** Headless Chromium with a fresh profile, nothing phoning home. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Saves a full-page screenshot as `test-results/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  const path = `${ARTIFACTS_DIR}${name}.png`
  await page.screenshot({ path, fullPage: true, animations: 'disabled' })
  return path
}

/**
 * Collects what the page reports that a strict CSP and Trusted Types would: violations, script
 * errors. A refused API call's "Failed to load resource" line is expected (the restore on load
 * without a cookie is a 401, a forced admin page a 403) and is not a problem.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return
    const text = message.text()
    if (/^Failed to load resource: the server responded with a status of 40[13]/.test(text)) return
    problems.push(`${message.type()}: ${text}`)
  })
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  return problems
}
