/*
 * `/trpc` refuses request bodies over `MAX_BODY_BYTES` with tRPC's 413 `PAYLOAD_TOO_LARGE`:
 *
 * | body                                                        | answer                      |
 * |-------------------------------------------------------------|-----------------------------|
 * | a login padded to exactly the limit / one byte over         | 200 / 413                   |
 * | a batch of logins one byte over                             | 413 for the whole request   |
 * | a batch of logins at the limit, chunked                     | 200 per call                |
 * | over a socket: `Content-Length` over the limit, body unsent | 413 at once, connection shut|
 * | over a socket: a chunked body that passes the limit         | 413                         |
 * | over a socket: a login with its `Content-Length`            | 200                         |
 *
 * In process (`app.request`), a `Request` built from a string has no `Content-Length`, so those
 * bodies are counted as they are read, the way a chunked body is.
 */
import { once } from 'node:events'
import { request as httpRequest, type IncomingMessage } from 'node:http'

import { describe, expect, it } from 'vitest'

import { testBackends } from '@warden/db/testing'

import { MAX_BODY_BYTES } from '../src/index.ts'
import { serveTestWarden, startTestWarden } from './harness.ts'

const EMAIL = 'ada@example.com'
const PASSWORD = 'correct horse battery staple'
const CREDENTIALS = JSON.stringify({ email: EMAIL, password: PASSWORD })

/** `json` followed by spaces (still the same JSON) up to `bytes` bytes. */
const padded = (json: string, bytes: number) => json + ' '.repeat(bytes - json.length)

interface TooLarge {
  error: { message: string; data: { code: string; httpStatus: number } }
}

function expectTooLarge(status: number, body: unknown) {
  expect(status).toBe(413)
  expect((body as TooLarge).error.data).toMatchObject({
    code: 'PAYLOAD_TOO_LARGE',
    httpStatus: 413,
  })
  expect((body as TooLarge).error.message).toBe(
    `The request body is larger than ${MAX_BODY_BYTES} bytes`,
  )
}

/** A body sent in `chunkSize` pieces, as a stream: no length is known before it is read. */
function streamOf(text: string, chunkSize = 16 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close()
        return
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize))
      offset += chunkSize
    },
  })
}

/** A raw POST to `auth.login`; `send` writes (part of) the body and may leave it unfinished. */
async function rawLogin(
  port: number,
  headers: Record<string, string>,
  send: (request: ReturnType<typeof httpRequest>) => void,
) {
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/trpc/auth.login',
    headers: { 'content-type': 'application/json', ...headers },
  })
  request.on('error', () => undefined) // the server may shut the connection while the body is sent
  const responded = once(request, 'response') as Promise<[IncomingMessage]>
  send(request)
  const [response] = await responded
  let text = ''
  for await (const chunk of response) text += String(chunk)
  return {
    status: response.statusCode,
    headers: response.headers,
    body: JSON.parse(text) as unknown,
  }
}

describe.each(testBackends())('request bodies on /trpc on %s', (backend) => {
  it('a login padded to the limit is answered; one byte more is 413', async () => {
    await using t = await startTestWarden({ backend })
    await t.register(EMAIL, PASSWORD)
    const login = (body: string) =>
      t.request('/trpc/auth.login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })

    const atLimit = await login(padded(CREDENTIALS, MAX_BODY_BYTES))
    expect(atLimit.status).toBe(200)

    const over = await login(padded(CREDENTIALS, MAX_BODY_BYTES + 1))
    expectTooLarge(over.status, await over.json())
    expect(over.headers.get('connection')).toBe('close')
  })

  it('a batch over the limit is refused as a whole; a chunked batch within it is answered', async () => {
    await using t = await startTestWarden({ backend })
    await t.register(EMAIL, PASSWORD)
    const batch = (body: string | ReadableStream<Uint8Array>) =>
      t.request('/trpc/auth.login,auth.login?batch=1', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      })
    const calls = `{"0":${CREDENTIALS},"1":${CREDENTIALS}}`

    const over = await batch(padded(calls, MAX_BODY_BYTES + 1))
    expectTooLarge(over.status, await over.json())

    const within = await batch(streamOf(padded(calls, MAX_BODY_BYTES)))
    expect(within.status).toBe(200)
    const answers = (await within.json()) as { result: { data: { accessToken: string } } }[]
    expect(answers).toHaveLength(2)
    for (const answer of answers) expect(answer.result.data.accessToken).toMatch(/^eyJ/)
  })

  it('over a socket: a declared length over the limit is 413 before the body is sent', async () => {
    await using server = await serveTestWarden(backend)
    // Headers only: the body never comes, so an answer proves the server did not wait for it.
    const answer = await rawLogin(
      server.port,
      { 'content-length': String(10 * 1024 * 1024) },
      (request) => request.flushHeaders(),
    )
    expectTooLarge(answer.status ?? 0, answer.body)
    expect(answer.headers.connection).toBe('close')
  })

  it('over a socket: a chunked body is 413 once it passes the limit', async () => {
    await using server = await serveTestWarden(backend)
    const answer = await rawLogin(server.port, { 'transfer-encoding': 'chunked' }, (request) => {
      // More than the limit in pieces, and never ended: the server stops reading at the limit.
      for (let sent = 0; sent <= MAX_BODY_BYTES; sent += 8 * 1024) request.write(' '.repeat(8192))
    })
    expectTooLarge(answer.status ?? 0, answer.body)
  })

  it('over a socket: a login with its Content-Length is answered', async () => {
    await using server = await serveTestWarden(backend)
    const register = await fetch(`${server.base}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: CREDENTIALS,
    })
    expect(register.status).toBe(200)
    const body = padded(CREDENTIALS, MAX_BODY_BYTES)
    const answer = await rawLogin(
      server.port,
      { 'content-length': String(Buffer.byteLength(body)) },
      (request) => request.end(body),
    )
    expect(answer.status).toBe(200)
  })
})
