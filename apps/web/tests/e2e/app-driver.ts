import type { Page } from 'playwright-core'

import { PASSWORD } from './warden-fixture.ts'

/** Opens the app and signs in through its form; resolves on the projects page. */
export async function signIn(page: Page, url: string, email: string): Promise<void> {
  await page.goto(url)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.getByRole('heading', { level: 1, name: 'Projects', exact: true }).waitFor()
}

/** Creates a project through the form and waits for it in the list. */
export async function createProject(page: Page, name: string): Promise<void> {
  await page.getByLabel('Project name').fill(name)
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.locator('[data-list="projects"] .row-title', { hasText: name }).waitFor()
}

/** The texts of the visible error notes and alerts (none, when all went well). */
export async function visibleErrors(page: Page): Promise<string[]> {
  return page.locator('.error-note, .notice-region.alert').allTextContents()
}

/** The session banner's text once it shows one. */
export async function bannerText(page: Page): Promise<string> {
  const notice = page.locator('.notice-region .notice > span')
  await notice.waitFor()
  return (await notice.textContent()) ?? ''
}
