import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ConfigError, createLogger, parseConfig, startWarden, type Warden } from '@warden/server'

import { WEB_APP_CSP_EXPECTED } from './e2e/csp.ts'

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
const HTML =
  '<!doctype html><title>app</title><script type="module" src="/assets/app-AbCd1234.js"></script>'
const SCRIPT = `export const big = ${JSON.stringify('x'.repeat(4000))}\n`
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }

/** A build folder as Vite writes it, plus what must never be served from one. */
function makeWebDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-web-dir-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), HTML)
  writeFileSync(join(dir, 'assets', 'app-AbCd1234.js'), SCRIPT)
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  writeFileSync(join(dir, '.env'), 'SECRET=hunter2')
  symlinkSync('/etc/hostname', join(dir, 'linked.txt'))
  return dir
}

describe('the server serving the built web app', () => {
  let webDir: string
  let cwd: string
  let warden: Warden

  beforeAll(async () => {
    webDir = makeWebDir()
    cwd = mkdtempSync(join(tmpdir(), 'warden-web-cwd-'))
    const config = parseConfig(
      { DATABASE_URL: 'memory:', WARDEN_WEB_DIR: webDir, LOG_LEVEL: 'silent' },
      { cwd },
    )
    warden = await startWarden(config, { logger: createLogger({ level: 'silent' }) })
  })

  afterAll(async () => {
    await warden.close()
    rmSync(webDir, { recursive: true, force: true })
    rmSync(cwd, { recursive: true, force: true })
  })

  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    warden.app.request(new Request(`http://localhost:3000${path}`, { method, headers }))

  it('answers / with index.html, revalidated, under the app’s CSP; the API keeps its own', async () => {
    const response = await get('/', html)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(HTML)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(response.headers.get('content-security-policy')).toBe(WEB_APP_CSP_EXPECTED)
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('etag')).toMatch(/^"[\w-]{22}"$/)

    const api = await get('/health')
    expect(api.headers.get('content-security-policy')).toBe(API_CSP)
  })

  it('caches hashed assets for a year, gzipped for clients that take it', async () => {
    const gzipped = await get('/assets/app-AbCd1234.js', { 'accept-encoding': 'gzip, br' })
    expect(gzipped.status).toBe(200)
    expect(gzipped.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(gzipped.headers.get('content-encoding')).toBe('gzip')
    expect(gzipped.headers.get('vary')).toBe('accept-encoding')
    expect(gzipped.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(Number(gzipped.headers.get('content-length'))).toBeLessThan(SCRIPT.length / 10)

    const plain = await get('/assets/app-AbCd1234.js', { 'accept-encoding': 'gzip;q=0' })
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe(SCRIPT)
    expect(plain.headers.get('etag')).not.toBe(gzipped.headers.get('etag'))

    const favicon = await get('/favicon.svg')
    expect(favicon.headers.get('cache-control')).toBe('no-cache')
    expect(favicon.headers.get('content-type')).toBe('image/svg+xml')
  })

  it('answers a matching If-None-Match with 304 and no body', async () => {
    const first = await get('/')
    const etag = first.headers.get('etag') ?? ''
    const again = await get('/', { 'if-none-match': `"other", ${etag}` })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    expect(again.headers.get('etag')).toBe(etag)
    expect((await get('/', { 'if-none-match': '"stale"' })).status).toBe(200)
  })

  it('falls back to index.html for HTML navigations only', async () => {
    const page = await get('/invoices', html)
    expect(page.status).toBe(200)
    expect(await page.text()).toBe(HTML)
    expect(page.headers.get('vary')).toBe('accept')
    expect((await get('/invoices/', html)).status).toBe(200)

    // A script or image request to an unknown path, or a missing file, is a plain 404.
    const fetched = await get('/invoices', { accept: 'application/json' })
    expect(fetched.status).toBe(404)
    expect(await fetched.json()).toEqual({ error: 'not_found' })
    expect((await get('/assets/gone-12345678.js', html)).status).toBe(404)
    expect((await get('/invoices', html, 'POST')).status).toBe(404)
  })

  it('never answers an API path with the app', async () => {
    for (const path of ['/.well-known/nope', '/health/nope', '/oauth/nope', '/oauth']) {
      const response = await get(path, html)
      expect(response.status, path).toBe(404)
      expect(await response.json(), path).toEqual({ error: 'not_found' })
    }
    const trpc = await get('/trpc/nope.nothing', html)
    expect(trpc.status).toBe(404)
    expect(trpc.headers.get('content-type')).toContain('application/json')
  })

  it('serves no dotfile and follows no symbolic link', async () => {
    expect((await get('/.env')).status).toBe(404)
    expect(await (await get('/.env', html)).text()).toBe(HTML)
    expect((await get('/linked.txt')).status).toBe(404)
    expect((await get('/assets/../.env')).status).toBe(404)
    expect((await get('/%2e%65nv')).status).toBe(404)
  })

  it('answers HEAD with the headers alone', async () => {
    const response = await get('/', html, 'HEAD')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBe(String(HTML.length))
    expect(await response.text()).toBe('')
  })
})

describe('WARDEN_WEB_DIR', () => {
  // The working directory also holds the development signing key a start writes.
  const cwd = mkdtempSync(join(tmpdir(), 'warden-web-cwd-'))
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true })
  })

  it('names a built folder; one without index.html stops the start', () => {
    const empty = mkdtempSync(join(tmpdir(), 'warden-web-empty-'))
    try {
      expect(() => parseConfig({ WARDEN_WEB_DIR: empty }, { cwd })).toThrow(ConfigError)
      expect(() => parseConfig({ WARDEN_WEB_DIR: empty }, { cwd })).toThrow(/WARDEN_WEB_DIR/)
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('defaults to the built app when it exists, and `none` turns it off', () => {
    const built = makeWebDir()
    try {
      expect(parseConfig({}, { cwd, defaultWebDir: built }).webDir).toBe(built)
      expect(parseConfig({ WARDEN_WEB_DIR: 'none' }, { cwd, defaultWebDir: built }).webDir).toBe(
        undefined,
      )
      expect(parseConfig({}, { cwd, defaultWebDir: join(built, 'missing') }).webDir).toBe(undefined)
      expect(parseConfig({}, { cwd }).webDir).toBeUndefined()
    } finally {
      rmSync(built, { recursive: true, force: true })
    }
  })

  it('without a web app, / stays the API’s 404', async () => {
    const config = parseConfig({ DATABASE_URL: 'memory:', LOG_LEVEL: 'silent' }, { cwd })
    const warden = await startWarden(config, { logger: createLogger({ level: 'silent' }) })
    try {
      const response = await warden.app.request(
        new Request('http://localhost:3000/', { headers: html }),
      )
      expect(response.status).toBe(404)
    } finally {
      await warden.close()
    }
  })
})
