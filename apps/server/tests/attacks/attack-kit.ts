import { randomBytes } from 'node:crypto'

import { expect } from 'vitest'

import type { SigningAlgorithm } from '@warden/auth'
import { testKeySet, type TestKeys } from '@warden/auth/testing'
import type { TestBackend } from '@warden/db/testing'

import { invalidToken, startTestWarden, type TestWarden, type TrpcEnvelope } from '../harness.ts'

/** The two key configurations every attack runs against: asymmetric (ES256) and HMAC (HS256). */
export const KEY_CONFIGS: readonly { readonly label: string; readonly alg: SigningAlgorithm }[] = [
  { label: 'ES256', alg: 'ES256' },
  { label: 'HS256', alg: 'HS256' },
]

/** A Warden whose signing key the test also holds, so it can sign tokens with bad claims. */
export interface AttackTarget {
  readonly t: TestWarden
  readonly keys: TestKeys
  /** The victim: a real user with a real session. */
  readonly victim: { id: string; accessToken: string; refreshToken: string }
  /** The claims of the victim's genuine access token: the template every forgery starts from. */
  readonly claims: Record<string, unknown>
  readonly header: Record<string, unknown>
}

/** Starts a Warden with the test key set of `alg` and signs up a victim. */
export async function startAttackTarget(options: {
  backend: TestBackend
  alg: SigningAlgorithm
  env?: Record<string, string>
}): Promise<AttackTarget> {
  const keys = await testKeySet(options.alg)
  const t = await startTestWarden({
    backend: options.backend,
    alg: options.alg,
    env: { AUTH_SIGNING_KEYS: JSON.stringify(keys.jwks), ...options.env },
  })
  const session = await t.signUp('victim@example.com')
  return {
    t,
    keys,
    victim: {
      id: session.user.id,
      accessToken: session.accessToken,
      refreshToken: session.refreshToken,
    },
    claims: decodeSegment(session.accessToken, 1),
    header: decodeSegment(session.accessToken, 0),
  }
}

/** One decoded JSON segment of a compact JWS. */
export function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  const segment = token.split('.')[index]
  if (segment === undefined) throw new Error('not a compact JWS')
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** A fresh `jti` in the shape Warden issues (6-byte ms timestamp + 16 random bytes). */
export function freshJti(nowMs: number): string {
  const stamp = Buffer.alloc(6)
  stamp.writeUIntBE(nowMs, 0, 6)
  return Buffer.concat([stamp, randomBytes(16)]).toString('base64url')
}

/** How many projects exist in every tenant: the side effect a forged `projects.create` would leave. */
export async function countProjects(t: TestWarden): Promise<number> {
  const row = await t.database.kysely
    .selectFrom('project')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The request-log lines written since `from`, parsed. */
export function requestLinesSince(t: TestWarden, from: number): Record<string, unknown>[] {
  return t.logLines
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['message'] === 'request')
}

/**
 * Presents `authorization` to a protected query and a protected mutation with a side effect, and
 * checks both are refused with `status` and `code` (the interface's challenge for it) and that
 * neither reached a procedure: no project was created and no request was logged with a user.
 */
export async function expectRefused(
  target: AttackTarget,
  authorization: string,
  expected: { status: 400 | 401; code: string },
): Promise<void> {
  const { t } = target
  const before = await countProjects(t)
  const logFrom = t.logLines.length
  const challenge =
    expected.status === 400
      ? 'Bearer realm="warden", error="invalid_request"'
      : invalidToken(expected.code)
  for (const [path, init] of [
    ['/trpc/system.whoami', { method: 'GET' }],
    [
      '/trpc/projects.create',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'planted by an attacker' }),
      },
    ],
  ] as const) {
    const headers = new Headers('headers' in init ? init.headers : undefined)
    headers.set('authorization', authorization)
    const response = await t.request(path, { ...init, headers })
    const body = (await response.json()) as TrpcEnvelope
    expect(response.status, path).toBe(expected.status)
    expect(response.headers.get('www-authenticate'), path).toBe(challenge)
    expect(body.error?.data.authError, path).toBe(expected.code)
    expect(body.result, path).toBeUndefined()
  }
  expect(await countProjects(t)).toBe(before)
  const lines = requestLinesSince(t, logFrom)
  expect(lines).toHaveLength(2)
  for (const line of lines) expect(line).not.toHaveProperty('userId')
}
