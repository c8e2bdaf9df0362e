/*
 * Staged key rotation on the server side: the pure steps, `reloadSigningKeys()` on a live
 * server (JWKS and signer switch at once, no restart), SIGHUP in process and in a real
 * `main.node.ts` process. The run with a second service (apps/reports) verifying by JWKS while
 * clients keep calling is in apps/reports/tests/key-rotation.test.ts.
 *
 * | step              | signer        | JWKS                  | tokens of the old key |
 * |-------------------|---------------|-----------------------|-----------------------|
 * | stage             | old           | new (staged) + old    | accepted              |
 * | promote (≥ 600 s) | new           | new + old (retired)   | accepted              |
 * | prune (lifetime)  | new           | new                   | invalid_signature     |
 */
import { spawn } from 'node:child_process'
import { createPrivateKey, type JsonWebKey } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it, vi } from 'vitest'

import { generateKeySet, loadKeySet, type JwkSet } from '@warden/auth'
import { forgeToken } from '@warden/auth/testing'

import {
  createLogger,
  KeyRotationError,
  planKeyRotation,
  reloadSigningKeysOnSignal,
  retiredKeyLifetime,
  rotateKeyFile,
  STAGE_WAIT_SECONDS,
  watchSigningKeyFile,
  type KeyRotationOptions,
} from '../../src/index.ts'
import { invalidToken } from '../harness.ts'
import { headerOf, startSocketWarden, type SocketWarden } from './socket-warden.ts'

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0)
const NOW_S = NOW / 1000
const KEEP = retiredKeyLifetime({ accessTokenTtl: 900, clockSkew: 0 })

const step = (
  keys: JsonWebKey[],
  options: Partial<KeyRotationOptions> & Pick<KeyRotationOptions, 'step'>,
) => planKeyRotation({ keys }, { now: NOW, keepRetiredSeconds: KEEP, ...options })

async function refusal(promise: Promise<unknown>): Promise<KeyRotationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KeyRotationError)
  return error as KeyRotationError
}

describe('planKeyRotation (pure steps)', () => {
  it('stages a verify-only key in front, then promotes it once the JWKS caches have turned over', async () => {
    const { keys } = await generateKeySet('ES256', { kid: 'old' })
    const staged = await step(keys, { step: 'stage' })
    expect(staged.keys.map((jwk) => [jwk['kid'], jwk['key_ops'], jwk['staged_at']])).toEqual([
      [staged.staged, ['verify'], NOW_S],
      ['old', undefined, undefined],
    ])
    expect(staged.keys[0]?.['alg']).toBe('ES256')
    expect(staged.promotableAt).toBe(NOW_S + STAGE_WAIT_SECONDS)
    expect((await loadKeySet({ keys: staged.keys })).signingKey.kid).toBe('old')
    expect((await refusal(step(staged.keys, { step: 'stage' }))).code).toBe('already_staged')

    const early = step(staged.keys, { step: 'promote', now: NOW + (STAGE_WAIT_SECONDS - 1) * 1000 })
    expect((await refusal(early)).code).toBe('too_early')
    const forced = await step(staged.keys, { step: 'promote', force: true })
    expect(forced.promoted).toBe(staged.staged)

    const later = NOW + STAGE_WAIT_SECONDS * 1000
    const promoted = await step(staged.keys, { step: 'promote', now: later })
    expect(promoted.retired).toEqual(['old'])
    expect(promoted.keys.map((jwk) => [jwk['kid'], jwk['key_ops'], jwk['retired_at']])).toEqual([
      [staged.staged, undefined, undefined],
      ['old', ['verify'], later / 1000],
    ])
    expect(promoted.keys[0]).not.toHaveProperty('staged_at')
    expect((await loadKeySet({ keys: promoted.keys })).signingKey.kid).toBe(staged.staged)
  })

  it('drops a retired key only once every token it signed has expired', async () => {
    const { keys } = await generateKeySet('EdDSA', { kid: 'old' })
    const staged = await step(keys, { step: 'stage' })
    const promoted = await step(staged.keys, { step: 'promote', force: true })
    const keptAt = NOW + KEEP * 1000
    expect((await step(promoted.keys, { step: 'prune', now: keptAt })).dropped).toEqual([])
    const pruned = await step(promoted.keys, { step: 'prune', now: keptAt + 1000 })
    expect(pruned.dropped).toEqual(['old'])
    expect(pruned.keys.map((jwk) => jwk['kid'])).toEqual([staged.staged])
    // Every step prunes as well; a retired key without retired_at is never dropped.
    const restaged = await step(promoted.keys, { step: 'stage', now: keptAt + 1000 })
    expect(restaged.dropped).toEqual(['old'])
    const undated = [...keys, { ...promoted.keys[0], kid: 'undated', key_ops: ['verify'] }]
    expect((await step(undated, { step: 'prune', now: NOW * 10 })).dropped).toEqual([])
    expect(KEEP).toBeGreaterThanOrEqual(3600 + 300)
  })

  it('aborts a staged key, and rolls back to the key retired last', async () => {
    const { keys } = await generateKeySet('EdDSA', { kid: 'old' })
    expect((await refusal(step(keys, { step: 'abort' }))).code).toBe('nothing_staged')
    expect((await refusal(step(keys, { step: 'promote' }))).code).toBe('nothing_staged')
    expect((await refusal(step(keys, { step: 'rollback' }))).code).toBe('nothing_to_roll_back')
    const staged = await step(keys, { step: 'stage' })
    const aborted = await step(staged.keys, { step: 'abort' })
    expect(aborted.removed).toBe(staged.staged)
    expect(aborted.keys).toEqual(keys)

    const promoted = await step(staged.keys, { step: 'promote', force: true })
    const rolledBack = await step(promoted.keys, { step: 'rollback', now: NOW + 60_000 })
    expect(rolledBack.reinstated).toBe('old')
    expect(rolledBack.retired).toEqual([staged.staged])
    const set = await loadKeySet({ keys: rolledBack.keys })
    expect(set.signingKey.kid).toBe('old')
    expect(set.get(staged.staged ?? '')).toMatchObject({ retired: true, retiredAt: NOW_S + 60 })
  })

  it('writes the key file atomically with mode 0600, and leaves it untouched when refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-rotate-'))
    const file = join(dir, 'keys.json')
    writeFileSync(file, JSON.stringify(await generateKeySet('EdDSA')), { mode: 0o600 })
    const before = readFileSync(file, 'utf8')
    await refusal(rotateKeyFile(file, { step: 'promote', now: NOW, keepRetiredSeconds: KEEP }))
    expect(readFileSync(file, 'utf8')).toBe(before)
    const result = await rotateKeyFile(file, { step: 'stage', now: NOW, keepRetiredSeconds: KEEP })
    const written = JSON.parse(readFileSync(file, 'utf8')) as JwkSet
    expect(written.keys.map((jwk) => jwk['kid'])[0]).toBe(result.staged)
    await expect(
      rotateKeyFile(join(dir, 'missing.json'), {
        step: 'stage',
        now: NOW,
        keepRetiredSeconds: KEEP,
      }),
    ).rejects.toThrow()
  })
})

/** A fresh token signed by a private JWK from the key file, as only its holder could make. */
function signWith(jwk: JsonWebKey, w: SocketWarden, audience = 'warden-api') {
  const nowS = Math.floor(w.clock.now() / 1000)
  const payload: Record<string, unknown> = {
    iss: w.url,
    sub: 'svc',
    client_id: 'svc',
    aud: audience,
    iat: nowS,
    exp: nowS + 600,
    jti: `forged-${nowS}`,
  }
  return forgeToken({
    header: { alg: 'EdDSA', kid: String(jwk['kid']), typ: 'at+jwt' },
    payload,
    sign: { alg: 'EdDSA', key: createPrivateKey({ key: jwk, format: 'jwk' }) },
  })
}

async function publishedKids(w: SocketWarden): Promise<string[]> {
  const jwks = (await (await fetch(`${w.url}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string }[]
  }
  return jwks.keys.map((key) => key.kid)
}

describe('reloadSigningKeys on a live server', () => {
  it('switches the JWKS and the signer at each step without a restart, and refuses the dropped key', async () => {
    await using w = await startSocketWarden({ backend: 'pglite' })
    const secret = await w.createClient({ id: 'svc', audiences: ['warden-api'] })
    const serviceToken = async () => {
      const answer = await w.token({ grant_type: 'client_credentials' }, { basic: ['svc', secret] })
      expect(answer.status).toBe(200)
      return String(answer.json['access_token'])
    }
    const whoami = (token: string) => w.call('system.whoami', { token })
    const rotate = (stepName: KeyRotationOptions['step']) =>
      rotateKeyFile(w.keyFile, {
        step: stepName,
        now: w.clock.now(),
        keepRetiredSeconds: retiredKeyLifetime(w.config),
      })
    const oldKid = w.services.tokens.keys.signingKey.kid
    const oldJwk = (JSON.parse(readFileSync(w.keyFile, 'utf8')) as JwkSet).keys[0]
    if (oldJwk === undefined) throw new Error('no key')
    const before = await serviceToken()
    expect((await whoami(before)).status).toBe(200) // now in the verified-token cache

    const staged = await rotate('stage')
    expect(await publishedKids(w)).toEqual([oldKid]) // nothing changes before the reload
    expect(await w.warden.reloadSigningKeys()).toEqual({
      changed: true,
      signing: oldKid,
      staged: [staged.staged],
      retired: [],
    })
    expect(await publishedKids(w)).toEqual([staged.staged, oldKid])
    expect(headerOf(await serviceToken())['kid']).toBe(oldKid)

    w.clock.advance(STAGE_WAIT_SECONDS * 1000)
    await rotate('promote')
    expect((await w.warden.reloadSigningKeys()).signing).toBe(staged.staged)
    const after = await serviceToken()
    expect(headerOf(after)['kid']).toBe(staged.staged)
    expect((await whoami(after)).status).toBe(200)
    expect((await whoami(before)).status).toBe(200) // the old key still verifies
    expect((await whoami(signWith(oldJwk, w))).status).toBe(200)
    expect((await w.warden.reloadSigningKeys()).changed).toBe(false)

    w.clock.advance((retiredKeyLifetime(w.config) + 1) * 1000)
    const pruned = await rotate('prune')
    expect(pruned.dropped).toEqual([oldKid])
    await w.warden.reloadSigningKeys()
    expect(await publishedKids(w)).toEqual([staged.staged])
    const dropped = await whoami(signWith(oldJwk, w))
    expect(dropped.status).toBe(401)
    expect(dropped.json.error?.data.authError).toBe('invalid_signature')
    expect(dropped.headers.get('www-authenticate')).toBe(invalidToken('invalid_signature'))
    expect(w.logLines.some((line) => line.includes('signing keys reloaded'))).toBe(true)
  })

  it('refuses a broken key file and keeps serving with the keys in use', async () => {
    await using w = await startSocketWarden({ backend: 'pglite' })
    const kids = await publishedKids(w)
    writeFileSync(w.keyFile, '{"keys": [{"kid": "broken"}]}')
    await expect(w.warden.reloadSigningKeys()).rejects.toThrow(/AUTH_SIGNING_KEYS_FILE/)
    expect(await publishedKids(w)).toEqual(kids)
    expect(w.logLines.some((line) => line.includes('signing keys not reloaded'))).toBe(true)
  })

  it('reloads on SIGHUP, and warns when the signing key vanished from the file', async () => {
    await using w = await startSocketWarden({ backend: 'pglite' })
    const oldKid = w.services.tokens.keys.signingKey.kid
    const replacement = await generateKeySet('EdDSA', { kid: 'replacement' })
    writeFileSync(w.keyFile, JSON.stringify(replacement))
    const lines: string[] = []
    const stop = reloadSigningKeysOnSignal({
      reload: () => w.warden.reloadSigningKeys(),
      logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
    })
    try {
      process.emit('SIGHUP', 'SIGHUP')
      await expect.poll(() => publishedKids(w)).toEqual(['replacement'])
    } finally {
      stop()
    }
    expect(lines.some((line) => line.includes('SIGHUP'))).toBe(true)
    expect(
      w.logLines.some((line) => line.includes('"level":"warn"') && line.includes(oldKid)),
    ).toBe(true)
  })
})

describe('watchSigningKeyFile', () => {
  it('reloads when the key file is replaced, and stops when told', async () => {
    await using w = await startSocketWarden({ backend: 'pglite' })
    const stop = watchSigningKeyFile({
      file: w.keyFile,
      reload: () => w.warden.reloadSigningKeys(),
      intervalMs: 20,
    })
    const rotate = (stepName: KeyRotationOptions['step']) =>
      rotateKeyFile(w.keyFile, { step: stepName, now: w.clock.now(), keepRetiredSeconds: KEEP })
    try {
      const { staged } = await rotate('stage')
      await expect.poll(() => publishedKids(w), { timeout: 5000, interval: 20 }).toHaveLength(2)
      expect((await publishedKids(w))[0]).toBe(staged)
    } finally {
      stop()
    }
    await rotate('abort')
    await w.warden.reloadSigningKeys()
    expect(await publishedKids(w)).toHaveLength(1)
  })
})

describe('main.node.ts', { timeout: 60_000 }, () => {
  it('reloads the key file on a real SIGHUP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-sighup-'))
    const keyFile = join(dir, 'keys.json')
    writeFileSync(keyFile, JSON.stringify(await generateKeySet('EdDSA', { kid: 'first' })), {
      mode: 0o600,
    })
    // `node --import tsx`, one process: the tsx CLI would run the server in a child process and
    // forwards only SIGINT and SIGTERM to it.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../src/main.node.ts')],
      {
        cwd: join(import.meta.dirname, '../..'),
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? '',
          PORT: '0',
          DATABASE_URL: 'memory:',
          WARDEN_DATA_DIR: dir,
          AUTH_SIGNING_KEYS_FILE: keyFile,
          WARDEN_WEB_DIR: 'none',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    try {
      const url = await vi.waitFor(
        () => {
          const announced = /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1]
          if (announced === undefined) throw new Error(`not listening yet: ${output}`)
          return announced
        },
        { timeout: 45_000, interval: 100 },
      )
      const kids = async () =>
        (
          (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
            keys: { kid: string }[]
          }
        ).keys.map((key) => key.kid)
      expect(await kids()).toEqual(['first'])
      // The key file is polled: a rotation step reaches the running server by itself.
      await rotateKeyFile(keyFile, { step: 'stage', now: Date.now(), keepRetiredSeconds: KEEP })
      await expect.poll(kids, { timeout: 10_000, interval: 50 }).toHaveLength(2)
      expect((await kids())[1]).toBe('first')
      // SIGHUP reloads at once, and does not end the process (its default action would).
      child.kill('SIGHUP')
      await expect
        .poll(() => output.includes('SIGHUP: reloading the signing keys'), { timeout: 10_000 })
        .toBe(true)
      expect(await kids()).toHaveLength(2)
      expect(child.exitCode).toBeNull()
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('close', resolve))
    }
  })
})
