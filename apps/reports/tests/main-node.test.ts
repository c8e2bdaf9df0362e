/*
 * `pnpm --filter @warden/reports start` for real: main.node.ts reads its environment, discovers
 * Warden from its metadata, loads the JWKS and serves, holding only its client secret.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it, vi } from 'vitest'

import { createManualClock } from '@warden/auth'

import { startServices, trpc } from './harness.ts'

const root = join(import.meta.dirname, '..')

function startReports(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.node.ts')], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  return { child, output: () => output, exited }
}

describe('main.node.ts', { timeout: 60_000 }, () => {
  it('starts from its environment and serves tenantSummary', async () => {
    // The spawned service verifies with the system clock: the main server's runs with it.
    await using s = await startServices({
      backend: 'pglite',
      clock: createManualClock(Math.floor(Date.now() / 1000) * 1000),
    })
    const secretFile = join(mkdtempSync(join(tmpdir(), 'warden-reports-')), 'secret')
    writeFileSync(secretFile, `${s.clientSecret}\n`, { mode: 0o600 })
    const reports = startReports({
      WARDEN_URL: s.mainUrl,
      REPORTS_CLIENT_ID: 'reports',
      REPORTS_CLIENT_SECRET_FILE: secretFile,
      PORT: '0',
    })
    try {
      const url = await vi.waitFor(
        () => {
          const announced = /"url":"(http:\/\/[^"]+)"/.exec(reports.output())?.[1]
          if (announced === undefined) throw new Error(`not listening yet: ${reports.output()}`)
          return announced
        },
        { timeout: 45_000, interval: 100 },
      )
      const ada = await s.signUp('ada@example.com')
      await s.addInvoices(ada, [{ amount: 700 }])
      const { accessToken } = await s.tokenFor(ada.refreshToken, 'warden-reports')
      const answer = await trpc(url, 'reports.tenantSummary', { token: accessToken })
      expect(answer.status, JSON.stringify(answer.json)).toBe(200)
      expect(answer.json.result?.data).toMatchObject({ tenantId: ada.tenantId, totalAmount: 700 })
    } finally {
      reports.child.kill('SIGTERM')
      expect(await reports.exited).toBe(0)
    }
  })

  it('refuses to start on a bad environment, or a Warden whose issuer is not WARDEN_URL', async () => {
    const empty = startReports({})
    expect(await empty.exited).toBe(1)
    expect(empty.output()).toContain('WARDEN_URL: required')

    await using s = await startServices({ backend: 'pglite', mainOnly: true })
    const misnamed = startReports({
      WARDEN_URL: s.mainUrl.replace('127.0.0.1', 'localhost'),
      REPORTS_CLIENT_ID: 'reports',
      REPORTS_CLIENT_SECRET: 'x',
    })
    expect(await misnamed.exited).toBe(1)
    expect(misnamed.output()).toContain('set WARDEN_URL to AUTH_ISSUER')
  })
})
