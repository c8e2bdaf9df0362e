import { afterEach, describe, expect, it, vi } from 'vitest'

import {
  asyncCodeOf,
  AUDIENCE,
  ISSUER,
  NOW,
  NOW_S,
  signed,
  validClaims,
} from '../../tests/helpers/token-fixtures.ts'
import {
  AuthError,
  createManualClock,
  createRemoteVerifier,
  generateKeySet,
  loadKeySet,
  type ManualClock,
} from '../index.ts'
import { testKeySet, type TestKeys } from '../testing/index.ts'
import { parseMaxAge } from './create-remote-verifier.ts'

const JWKS_URL = 'https://auth.warden.test/.well-known/jwks.json'

type Responder = (call: number) => Response | Promise<Response>

function fakeFetch(respond: Responder) {
  const calls: { url: string; init: RequestInit | undefined }[] = []
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: url instanceof Request ? url.url : url.toString(), init })
    return respond(calls.length)
  }) as typeof globalThis.fetch
  return { fetch, calls }
}

function jwksResponse(jwks: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(jwks), {
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

function setup(
  respond: Responder,
  options: { clock?: ManualClock; cooldownMs?: number; cache?: false } = {},
) {
  const clock = options.clock ?? createManualClock(NOW)
  const { fetch, calls } = fakeFetch(respond)
  const verifier = createRemoteVerifier({
    jwksUrl: JWKS_URL,
    issuer: ISSUER,
    audience: AUDIENCE,
    clock,
    fetch,
    ...(options.cooldownMs === undefined ? {} : { cooldownMs: options.cooldownMs }),
    ...(options.cache === undefined ? {} : { cache: options.cache }),
  })
  return { verifier, calls, clock }
}

afterEach(() => {
  vi.useRealTimers()
})

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('createRemoteVerifier with %s', (alg) => {
  it('verifies a token with the key from the JWKS', async () => {
    const keys = await testKeySet(alg)
    const { verifier, calls } = setup(() => jwksResponse(keys.keySet.publicJwks()))
    const claims = await verifier.verifyAccessToken(signed(keys))
    expect(claims.sub).toBe('user-1')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.url).toBe(JWKS_URL)
    expect(calls[0]!.init?.signal).toBeInstanceOf(AbortSignal)
    expect(calls[0]!.init?.redirect).toBe('manual')
  })
})

describe('createRemoteVerifier', () => {
  it('applies every verification rule (expired, wrong audience)', async () => {
    const keys = await testKeySet('EdDSA')
    const { verifier } = setup(() => jwksResponse(keys.keySet.publicJwks()))
    expect(
      await asyncCodeOf(() =>
        verifier.verifyAccessToken(signed(keys, { payload: validClaims({ exp: NOW_S }) })),
      ),
    ).toBe('expired_token')
    expect(
      await asyncCodeOf(() =>
        verifier.verifyAccessToken(signed(keys, { payload: validClaims({ aud: 'x' }) })),
      ),
    ).toBe('wrong_audience')
    const reports = signed(keys, { payload: validClaims({ aud: 'reports' }) })
    expect((await verifier.verifyAccessToken(reports, { audience: 'reports' })).aud).toBe('reports')
  })

  it('ignores oct keys, keys without kid or alg, and keys whose alg does not fit', async () => {
    const eddsa = await testKeySet('EdDSA')
    const hs = await testKeySet('HS256')
    const [publicEd] = eddsa.keySet.publicJwks().keys
    const jwks = {
      keys: [
        { ...hs.jwks.keys[0] },
        { ...publicEd, kid: undefined },
        { ...publicEd, kid: 'no-alg', alg: undefined },
        { ...publicEd, kid: 'wrong-alg', alg: 'ES256' },
        { ...publicEd, kid: 'enc', use: 'enc' },
        'not an object',
      ],
    }
    const { verifier } = setup(() => jwksResponse(jwks))
    for (const kid of ['no-alg', 'wrong-alg', 'enc']) {
      const token = signed(eddsa, { header: { alg: 'EdDSA', kid, typ: 'at+jwt' } })
      expect(await asyncCodeOf(() => verifier.verifyAccessToken(token))).toBe('invalid_signature')
    }
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(signed(hs)))).toBe(
      'invalid_signature',
    )
  })

  it('never imports the private part of a key published by mistake', async () => {
    const keys = await testKeySet('ES256')
    const { verifier } = setup(() => jwksResponse({ keys: keys.jwks.keys }))
    expect((await verifier.verifyAccessToken(signed(keys))).sub).toBe('user-1')
  })

  it('drops a kid that appears twice', async () => {
    const a = await testKeySet('EdDSA')
    const other = await loadKeySet(await generateKeySet('EdDSA', { kid: a.kid }))
    const jwks = { keys: [...a.keySet.publicJwks().keys, ...other.publicJwks().keys] }
    const { verifier } = setup(() => jwksResponse(jwks))
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(signed(a)))).toBe('invalid_signature')
  })

  it('refuses an RSA key under 2048 bits from the JWKS', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'small', alg: 'RS256' }
    const { forgeToken } = await import('../testing/index.ts')
    const token = forgeToken({
      header: { alg: 'RS256', kid: 'small', typ: 'at+jwt' },
      payload: validClaims(),
      sign: { alg: 'RS256', key: privateKey },
    })
    const { verifier } = setup(() => jwksResponse({ keys: [jwk] }))
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(token))).toBe('invalid_signature')
  })

  it('honours Cache-Control max-age, bounded below by the cooldown', async () => {
    const keys = await testKeySet('EdDSA')
    const { verifier, calls, clock } = setup(
      () => jwksResponse(keys.keySet.publicJwks(), { 'cache-control': 'public, max-age=120' }),
      { cache: false },
    )
    const token = signed(keys, { payload: validClaims({ exp: NOW_S + 3600 }) })
    await verifier.verifyAccessToken(token)
    clock.advance(119_999)
    await verifier.verifyAccessToken(token)
    expect(calls).toHaveLength(1)
    clock.advance(1)
    await verifier.verifyAccessToken(token)
    expect(calls).toHaveLength(2)
  })

  it('treats max-age=0 as the cooldown, so it cannot turn every request into a fetch', async () => {
    const keys = await testKeySet('EdDSA')
    const { verifier, calls, clock } = setup(
      () => jwksResponse(keys.keySet.publicJwks(), { 'cache-control': 'max-age=0' }),
      { cache: false },
    )
    const token = signed(keys, { payload: validClaims({ exp: NOW_S + 3600 }) })
    for (let i = 0; i < 5; i++) await verifier.verifyAccessToken(token)
    expect(calls).toHaveLength(1)
    clock.advance(30_000)
    await verifier.verifyAccessToken(token)
    expect(calls).toHaveLength(2)
  })

  it('uses the default max age without Cache-Control', async () => {
    const keys = await testKeySet('EdDSA')
    const { verifier, calls, clock } = setup(() => jwksResponse(keys.keySet.publicJwks()), {
      cache: false,
    })
    const token = signed(keys, { payload: validClaims({ exp: NOW_S + 3600 }) })
    await verifier.verifyAccessToken(token)
    clock.advance(5 * 60_000 - 1)
    await verifier.verifyAccessToken(token)
    expect(calls).toHaveLength(1)
    clock.advance(1)
    await verifier.verifyAccessToken(token)
    expect(calls).toHaveLength(2)
  })

  it('refetches once for an unknown kid, and then only after the cooldown', async () => {
    const old = await testKeySet('EdDSA')
    const fresh = await testKeySet('ES256')
    let jwks = old.keySet.publicJwks()
    const { verifier, calls, clock } = setup(() => jwksResponse(jwks))
    await verifier.verifyAccessToken(signed(old))
    // The issuer rotates right away: inside the cooldown of the first fetch, no refetch yet.
    jwks = { keys: [...fresh.keySet.publicJwks().keys, ...old.keySet.publicJwks().keys] }
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(signed(fresh)))).toBe(
      'invalid_signature',
    )
    expect(calls).toHaveLength(1)
    // After it, a token from the new key triggers one refetch.
    clock.advance(30_000)
    expect((await verifier.verifyAccessToken(signed(fresh))).sub).toBe('user-1')
    expect(calls).toHaveLength(2)
    // A kid nobody has: no refetch inside the cooldown…
    const unknown = signed(fresh, { header: { alg: 'ES256', kid: 'nobody', typ: 'at+jwt' } })
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(unknown))).toBe('invalid_signature')
    expect(calls).toHaveLength(2)
    // …one after it, and still invalid_signature.
    clock.advance(30_000)
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(unknown))).toBe('invalid_signature')
    expect(calls).toHaveLength(3)
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(unknown))).toBe('invalid_signature')
    expect(calls).toHaveLength(3)
  })

  it('shares one fetch between concurrent misses', async () => {
    const old = await testKeySet('EdDSA')
    const fresh = await testKeySet('ES256')
    let jwks = old.keySet.publicJwks()
    const { verifier, calls, clock } = setup(() => jwksResponse(jwks))
    await verifier.reload()
    clock.advance(30_000)
    jwks = fresh.keySet.publicJwks()
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        verifier.verifyAccessToken(signed(fresh, { payload: validClaims({ sub: `u${i}` }) })),
      ),
    )
    expect(results.map((c) => c.sub)).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`))
    expect(calls).toHaveLength(2)
  })

  it('keeps serving the old keys when a refetch fails', async () => {
    const keys = await testKeySet('EdDSA')
    const { verifier, calls, clock } = setup(
      (call) =>
        call === 1 ? jwksResponse(keys.keySet.publicJwks()) : new Response('down', { status: 503 }),
      { cache: false },
    )
    const token = signed(keys, { payload: validClaims({ exp: NOW_S + 3600 }) })
    await verifier.verifyAccessToken(token)
    clock.advance(10 * 60_000)
    expect((await verifier.verifyAccessToken(token)).sub).toBe('user-1')
    expect(calls).toHaveLength(2)
    await expect(verifier.reload()).rejects.toThrow(/Cannot load the JWKS/)
  })

  it('fails with a plain Error, not a token code, when no JWKS was ever loaded', async () => {
    const keys = await testKeySet('EdDSA')
    const { verifier } = setup(() => new Response('nope', { status: 500 }))
    const error: unknown = await verifier.verifyAccessToken(signed(keys)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(AuthError)
  })

  it.each([
    [
      'a redirect',
      () => new Response(null, { status: 302, headers: { location: 'https://evil.test/jwks' } }),
    ],
    ['invalid JSON', () => new Response('{"keys":', { status: 200 })],
    ['JSON that is not a JWKS', () => jwksResponse({ keys: 'x' })],
    [
      'a declared length over the limit',
      () => new Response('{}', { status: 200, headers: { 'content-length': String(1 << 20) } }),
    ],
    ['a body over the limit', () => jwksResponse({ keys: [], pad: 'x'.repeat(70_000) })],
  ])('refuses %s', async (_, respond) => {
    const { verifier } = setup(respond)
    await expect(verifier.reload()).rejects.toThrow(/Cannot load the JWKS/)
  })

  it('stops reading an endless body at the size limit', async () => {
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(16 * 1024))
      },
    })
    const { verifier } = setup(() => new Response(body, { status: 200 }))
    await expect(verifier.reload()).rejects.toThrow(/Cannot load the JWKS/)
    expect(pulled).toBeLessThan(10)
  })

  it('aborts a fetch that takes longer than the timeout', async () => {
    vi.useFakeTimers()
    let signal: AbortSignal | undefined
    const fetch = ((_url: string, init?: RequestInit) => {
      signal = init?.signal ?? undefined
      return new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => {
          reject(signal?.reason as Error)
        })
      })
    }) as unknown as typeof globalThis.fetch
    const verifier = createRemoteVerifier({
      jwksUrl: JWKS_URL,
      issuer: ISSUER,
      audience: AUDIENCE,
      fetch,
      timeoutMs: 5000,
    })
    const reload = verifier.reload()
    const outcome = expect(reload).rejects.toThrow(/Cannot load the JWKS/)
    await vi.advanceTimersByTimeAsync(4999)
    expect(signal?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(signal?.aborted).toBe(true)
    await outcome
  })

  it('drops its cache when the JWKS changes', async () => {
    const keys = await testKeySet('EdDSA')
    let jwks = keys.keySet.publicJwks()
    const { verifier } = setup(() => jwksResponse(jwks))
    const token = signed(keys)
    const first = await verifier.verifyAccessToken(token)
    expect(await verifier.verifyAccessToken(token)).toBe(first)
    jwks = { keys: [] }
    await verifier.reload()
    expect(await asyncCodeOf(() => verifier.verifyAccessToken(token))).toBe('invalid_signature')
  })

  it('keeps its cache when a refetch returns the same keys', async () => {
    const keys = await testKeySet('EdDSA')
    const { verifier } = setup(() => jwksResponse(keys.keySet.publicJwks()))
    const token = signed(keys)
    const first = await verifier.verifyAccessToken(token)
    await verifier.reload()
    expect(await verifier.verifyAccessToken(token)).toBe(first)
  })

  it.each([
    ['a non-http URL', { jwksUrl: 'file:///etc/passwd' }],
    ['an empty issuer', { issuer: '' }],
    ['HS256 among the algorithms', { algorithms: ['HS256'] }],
    ['no algorithms', { algorithms: [] }],
    ['a zero timeout', { timeoutMs: 0 }],
    ['a negative size limit', { maxResponseBytes: -1 }],
  ])('refuses %s with a TypeError', (_, overrides) => {
    expect(() =>
      createRemoteVerifier({
        jwksUrl: JWKS_URL,
        issuer: ISSUER,
        audience: AUDIENCE,
        fetch: fakeFetch(() => jwksResponse({ keys: [] })).fetch,
        ...(overrides as object),
      }),
    ).toThrow(TypeError)
  })
})

describe('parseMaxAge', () => {
  it.each([
    [null, undefined],
    ['public', undefined],
    ['max-age=60', 60_000],
    ['public, MAX-AGE=3600, must-revalidate', 3_600_000],
    ['max-age=-1', undefined],
    ['max-age=1e3', undefined],
    ['no-store', 0],
    ['max-age=60, no-cache', 0],
  ])('reads %j as %j', (header, expected) => {
    expect(parseMaxAge(header)).toBe(expected)
  })
})

export type { TestKeys }
