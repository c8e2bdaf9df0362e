/*
 * The same attacks over a real socket, through @hono/node-server and Node's HTTP parser, with
 * ES256 and with HS256: what the in-process tests cannot see (header size limits, repeated
 * headers joined by the HTTP stack, the process staying up).
 *
 * | case                                                       | status | code / answer                 |
 * |------------------------------------------------------------|--------|-------------------------------|
 * | alg none, without a signature                              | 401    | unsupported_algorithm         |
 * | HS256 keyed with the public key (PEM) [ES256 only]         | 401    | unsupported_algorithm         |
 * | all-zero signature                                         | 401    | invalid_signature             |
 * | expired (signed by the server's key)                       | 401    | expired_token                 |
 * | a refresh token as the access token                        | 401    | malformed_token               |
 * | a 10 KiB token (over the verifier's 8 KiB, under Node's    | 401    | malformed_token               |
 * |   16 KiB header limit)                                     |        |                               |
 * | a 1 MiB token: Node's parser refuses the header block      | 431    | connection closed by Node,    |
 * |   before the app sees it (RFC 6585 §5); the server stays   |        | answered in under 2 s; the    |
 * |   up and the next request is served                        |        | next request gets its 200     |
 * | two Authorization headers (joined with ", " by Node)       | 400    | invalid_request               |
 * | genuine token (control)                                    | 200    |                               |
 */
import { request as httpRequest } from 'node:http'
import { connect, type AddressInfo } from 'node:net'

import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { forgeToken } from '@warden/auth/testing'

import { invalidToken } from '../harness.ts'
import {
  countProjects,
  freshJti,
  KEY_CONFIGS,
  startAttackTarget,
  type AttackTarget,
} from './attack-kit.ts'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One request through node:http, with raw header lines (so a header can be repeated). */
function send(
  port: number,
  options: { method?: string; path: string; rawHeaders?: [string, string][]; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        // Raw header lines replace Node's defaults, Host included.
        headers: [['host', `127.0.0.1:${port}`], ...(options.rawHeaders ?? [])].flat(),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Writes a request with a header block far over Node's limit on a raw socket and reads
 * whatever comes back until the server closes. Node answers 431 and closes while the client is
 * possibly still writing, so a write error after the answer is expected.
 */
function sendOversized(port: number, authorization: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (chunks.length > 0 || error.code === 'EPIPE' || error.code === 'ECONNRESET') return
      reject(error)
    })
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.write(
      `GET /trpc/system.whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\n\r\n`,
    )
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')))
  })
}

describe.each(KEY_CONFIGS)('attacks over a real socket, signing with $label', ({ alg }) => {
  let target: AttackTarget
  let server: ReturnType<typeof serve>
  let port: number

  beforeAll(async () => {
    target = await startAttackTarget({ backend: 'pglite', alg })
    server = serve({ fetch: target.t.app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await target.t[Symbol.asyncDispose]()
  })

  const whoami = (authorization: string) =>
    send(port, { path: '/trpc/system.whoami', rawHeaders: [['authorization', authorization]] })
  const create = (authorization: string) =>
    send(port, {
      method: 'POST',
      path: '/trpc/projects.create',
      rawHeaders: [
        ['authorization', authorization],
        ['content-type', 'application/json'],
      ],
      body: JSON.stringify({ name: 'planted over the socket' }),
    })

  const signed = (payload: Record<string, unknown>) =>
    forgeToken({ header: target.header, payload, sign: { alg, key: target.keys.signingKey } })

  const cases: [string, () => string, string][] = [
    [
      'alg none',
      () =>
        forgeToken({
          header: { ...target.header, alg: 'none' },
          payload: { ...target.claims, jti: freshJti(target.t.clock.now()) },
        }),
      'unsupported_algorithm',
    ],
    [
      'all-zero signature',
      () =>
        forgeToken({
          header: target.header,
          payload: { ...target.claims, roles: ['admin'] },
          signature: Buffer.alloc(alg === 'ES256' ? 64 : 32).toString('base64url'),
        }),
      'invalid_signature',
    ],
    [
      'expired',
      () => {
        const now = Math.floor(target.t.clock.now() / 1000)
        return signed({ ...target.claims, iat: now - 2000, exp: now - 1000 })
      },
      'expired_token',
    ],
    ['a refresh token', () => target.victim.refreshToken, 'malformed_token'],
    [
      'a 10 KiB token',
      () => {
        const [h, p, s] = signed(target.claims).split('.')
        return `${h}.${p}${'A'.repeat(10 * 1024)}.${s}`
      },
      'malformed_token',
    ],
  ]
  if (alg === 'ES256') {
    cases.push([
      'HS256 keyed with the public key (PEM)',
      () => {
        const publicPem = target.keys.verificationKey.export({ type: 'spki', format: 'pem' })
        return forgeToken({
          header: { ...target.header, alg: 'HS256' },
          payload: { ...target.claims, jti: freshJti(target.t.clock.now()) },
          sign: { alg: 'HS256', key: Buffer.from(publicPem) },
        })
      },
      'unsupported_algorithm',
    ])
  }

  it.each(cases)('%s is refused and reaches no procedure', async (_name, token, code) => {
    const authorization = `Bearer ${token()}`
    for (const answer of [await whoami(authorization), await create(authorization)]) {
      expect(answer.status).toBe(401)
      expect(answer.headers['www-authenticate']).toBe(invalidToken(code))
      expect(
        (JSON.parse(answer.body) as { error: { data: { authError: string } } }).error.data
          .authError,
      ).toBe(code)
    }
    expect(await countProjects(target.t)).toBe(0)
  })

  it('a 1 MiB token gets 431 from the HTTP parser, fast, and the server stays up', async () => {
    const [h, p, s] = signed(target.claims).split('.')
    const started = performance.now()
    const raw = await sendOversized(port, `Bearer ${h}.${p}${'A'.repeat(1024 * 1024)}.${s}`)
    expect(performance.now() - started).toBeLessThan(2000)
    expect(raw.startsWith('HTTP/1.1 431 ')).toBe(true)
    expect(await countProjects(target.t)).toBe(0)
    const after = await whoami(`Bearer ${target.victim.accessToken}`)
    expect(after.status).toBe(200)
  })

  it('two Authorization headers are one malformed header: 400 invalid_request', async () => {
    const answer = await send(port, {
      path: '/trpc/system.whoami',
      rawHeaders: [
        ['authorization', `Bearer ${target.victim.accessToken}`],
        ['authorization', `Bearer ${target.victim.accessToken}`],
      ],
    })
    expect(answer.status).toBe(400)
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="warden", error="invalid_request"',
    )
  })

  it('the genuine token works over the socket (control)', async () => {
    const answer = await whoami(`Bearer ${target.victim.accessToken}`)
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toMatchObject({ result: { data: { sub: target.victim.id } } })
  })
})
