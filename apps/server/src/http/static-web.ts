import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { gzipSync } from 'node:zlib'

import type { Context } from 'hono'

/**
 * The web app's Content-Security-Policy: scripts, styles and connections from this origin only,
 * no inline script or style, no eval, no plugins, not framable, and Trusted Types enforced so
 * that no string can reach a DOM sink that parses HTML or script (DOM XSS). The API's answers
 * keep their deny-all policy (`security-headers.ts`).
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ')

// Paths the API owns keep its JSON 404s: no HTML page may answer for them.
const API_PREFIXES = ['/trpc', '/.well-known', '/health', '/oauth']
// A build folder is a few hundred kilobytes; this bounds what a wrong WARDEN_WEB_DIR can load.
const MAX_TOTAL_BYTES = 64 * 1024 * 1024
const IMMUTABLE = 'public, max-age=31536000, immutable'
// Vite names every bundled asset `assets/<name>-<content hash>.<ext>`.
const HASHED_ASSET = /^\/assets\/.+-[\w-]{8,}\.\w+$/

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt'])

interface Representation {
  readonly body: Uint8Array<ArrayBuffer>
  readonly etag: string
}

interface StaticFile {
  readonly type: string
  readonly cacheControl: string
  readonly identity: Representation
  readonly gzip: Representation | undefined
}

function etagOf(body: Uint8Array, suffix: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}${suffix}"`
}

function loadFile(urlPath: string, bytes: Buffer): StaticFile {
  const ext = extname(urlPath).toLowerCase()
  const body = new Uint8Array(bytes)
  let gzip: Representation | undefined
  if (COMPRESSIBLE.has(ext) && body.byteLength > 1024) {
    const packed = new Uint8Array(gzipSync(body, { level: 9 }))
    if (packed.byteLength < body.byteLength) gzip = { body: packed, etag: etagOf(body, '-gz') }
  }
  return {
    type: CONTENT_TYPES[ext] ?? 'application/octet-stream',
    cacheControl: HASHED_ASSET.test(urlPath) ? IMMUTABLE : 'no-cache',
    identity: { body, etag: etagOf(body, '') },
    gzip,
  }
}

/**
 * Every regular file under `dir`, keyed by its URL path, read once. Dotfiles and symbolic links
 * are skipped, so nothing outside the folder (and no `.env` left in it) can be served, and no
 * request ever touches the filesystem.
 */
function loadFolder(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>()
  let total = 0
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue
      const path = join(folder, entry.name)
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`)
      else if (entry.isFile()) {
        const bytes = readFileSync(path)
        total += bytes.byteLength
        if (total > MAX_TOTAL_BYTES) {
          throw new Error(`The web app folder ${dir} holds more than ${MAX_TOTAL_BYTES} bytes`)
        }
        const urlPath = `${prefix}${entry.name}`
        files.set(urlPath, loadFile(urlPath, bytes))
      }
    }
  }
  walk(dir, '/')
  return files
}

function acceptsGzip(header: string | null): boolean {
  if (header === null) return false
  return header.split(',').some((part) => {
    const [coding = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
    if (coding !== 'gzip' && coding !== '*') return false
    const q = params.find((param) => param.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))
}

/**
 * Serves a built single-page app (`apps/web/dist`) from memory: files as they are, `/` as
 * `index.html`, and `index.html` for any other HTML navigation (a GET whose `Accept` names
 * `text/html`, to a path without a file extension, outside the API's paths). Anything else is
 * left to the caller's 404. Hashed assets are cached for a year; everything else is revalidated
 * by ETag (`no-cache`), so a new build is picked up at once. Every answer carries
 * `WEB_APP_CSP`, which the security-header middleware then leaves in place.
 *
 * Returns a handler giving the response, or `undefined` when the request is not the web app's.
 *
 * @throws Error when `dir` cannot be read, holds no `index.html`, or is unreasonably large
 */
export function staticWeb(options: { readonly dir: string }): (c: Context) => Response | undefined {
  const files = loadFolder(options.dir)
  const index = files.get('/index.html')
  if (index === undefined) throw new Error(`The web app folder ${options.dir} holds no index.html`)

  return (c) => {
    const method = c.req.method
    if (method !== 'GET' && method !== 'HEAD') return undefined
    const path = c.req.path
    if (isApiPath(path)) return undefined
    const headers = c.req.raw.headers
    let file = files.get(path === '/' ? '/index.html' : path)
    let fallback = false
    if (file === undefined) {
      const navigation = headers.get('accept')?.includes('text/html') === true
      if (!navigation || extname(path) !== '') return undefined
      file = index
      fallback = true
    }
    const representation =
      file.gzip !== undefined && acceptsGzip(headers.get('accept-encoding'))
        ? file.gzip
        : file.identity
    const answer = new Headers({
      'content-type': file.type,
      'cache-control': file.cacheControl,
      etag: representation.etag,
      'content-security-policy': WEB_APP_CSP,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    })
    const vary = [
      ...(file.gzip === undefined ? [] : ['accept-encoding']),
      ...(fallback ? ['accept'] : []),
    ]
    if (vary.length > 0) answer.set('vary', vary.join(', '))
    if (representation === file.gzip) answer.set('content-encoding', 'gzip')
    const ifNoneMatch = headers.get('if-none-match')
    if (ifNoneMatch?.split(',').some((tag) => tag.trim() === representation.etag) === true) {
      return new Response(null, { status: 304, headers: answer })
    }
    answer.set('content-length', String(representation.body.byteLength))
    return new Response(method === 'HEAD' ? null : representation.body, { headers: answer })
  }
}
