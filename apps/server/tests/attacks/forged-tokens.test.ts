/*
 * Forged and broken access tokens, black-box over HTTP (in process), against a server signing
 * with ES256 and one signing with HS256. Every token is presented to `system.whoami` and to
 * `projects.create`; each must be refused with the status, `WWW-Authenticate` and
 * `error.data.authError` below, create no project and log no user (see `expectRefused`).
 *
 * | case                                                           | status | code                  |
 * |----------------------------------------------------------------|--------|-----------------------|
 * | alg none / None / NONE / nOnE, with and without a signature    | 401    | unsupported_algorithm |
 * | HS256 keyed with the server's public key (PEM, DER, JWK) [ES]  | 401    | unsupported_algorithm |
 * | HS256 keyed with the public key, no kid [ES]                   | 401    | malformed_token       |
 * | HS256 with a guessed secret ('', 'secret', the kid) [HS]       | 401    | invalid_signature     |
 * | ES256 by the attacker's key, kid of the server's key [HS]      | 401    | unsupported_algorithm |
 * | embedded jwk (attacker's key), with our kid or theirs          | 401    | malformed_token       |
 * | jku, x5u, x5c pointing elsewhere                               | 401    | malformed_token       |
 * | kid: path traversal, SQL, /dev/null with an empty HMAC key     | 401    | invalid_signature     |
 * | kid: empty, 300 chars, 2000 chars, number, null, object, array | 401    | malformed_token       |
 * | all-zero signature (CVE-2022-21449 for ES256; 32 zeros HS256)  | 401    | invalid_signature     |
 * | DER-encoded r=0, s=0 signature                                 | 401    | invalid_signature     |
 * | signature stripped (empty third segment)                       | 401    | invalid_signature     |
 * | signature truncated to 30 bytes                                | 401    | invalid_signature     |
 * | signature of another genuine token                             | 401    | invalid_signature     |
 * | claims tampered after signing (roles, sub, tid, exp)           | 401    | invalid_signature     |
 * | expired (exp in the past, exp exactly now)                     | 401    | expired_token         |
 * | nbf in the future; iat in the future                           | 401    | not_yet_valid         |
 * | wrong iss; iss with a trailing slash                           | 401    | wrong_issuer          |
 * | wrong aud; aud array without ours                              | 401    | wrong_audience        |
 * | aud empty array                                                | 401    | malformed_token       |
 * | each required claim missing in turn (7 claims)                 | 401    | missing_claim         |
 * | exp as a string, a float, 1e21, 2^53                           | 401    | malformed_token       |
 * | exp negative                                                   | 401    | expired_token         |
 * | typ JWT, typ missing, typ "at+jwt " (trailing space)           | 401    | wrong_type            |
 * | crit with an unknown name; crit naming exp                     | 401    | malformed_token       |
 * | a JWE (dir + A256GCM, 5 segments)                              | 401    | malformed_token       |
 * | 2, 4 and 6 segments                                            | 401    | malformed_token       |
 * | base64 (+ /), padding (=), non-canonical last character        | 401    | malformed_token       |
 * | a character outside RFC 6750's b64token (!, %, space, quote)   | 400    | invalid_request       |
 * | a 1 MiB token (answered in well under a second)                | 401    | malformed_token       |
 * | duplicate names in the header; in the payload (signed)         | 401    | malformed_token       |
 * | header or payload not a JSON object                            | 401    | malformed_token       |
 * | a refresh token (wrt_…) as the access token                    | 401    | malformed_token       |
 *
 * [ES]: ES256 configuration only (HS256 has no public key). [HS]: HS256 configuration only.
 */
import {
  createCipheriv,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { forgeToken } from '@warden/auth/testing'
import { testBackends } from '@warden/db/testing'

import {
  countProjects,
  expectRefused,
  freshJti,
  KEY_CONFIGS,
  startAttackTarget,
  type AttackTarget,
} from './attack-kit.ts'

type Code =
  | 'unsupported_algorithm'
  | 'malformed_token'
  | 'invalid_signature'
  | 'expired_token'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'wrong_type'
  | 'invalid_request'

interface Attack {
  readonly name: string
  readonly code: Code
  readonly only?: 'ES256' | 'HS256'
  /** The whole Authorization header value. */
  readonly header: (kit: Kit) => string | Promise<string>
}

/** What a case builds its token from. */
interface Kit {
  readonly target: AttackTarget
  /** The server's public JWKS, fetched like an attacker would. */
  readonly jwks: { keys: Record<string, unknown>[] }
  readonly nowSeconds: number
  /** Genuine claims with a fresh jti and times relative to now. */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>
  /** The genuine header (alg, kid, typ) with overrides. */
  header(overrides?: Record<string, unknown>): Record<string, unknown>
  /** Signs with the server's own key: only the claims or header can be wrong. */
  signed(input: {
    header?: Record<string, unknown> | string
    payload?: Record<string, unknown> | string
  }): string
  readonly attacker: { privateKey: KeyObject; publicJwk: Record<string, unknown> }
}

const bearer = (token: string) => `Bearer ${token}`
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const without = (claims: Record<string, unknown>, name: string) =>
  Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name))

/** The server's public key as an attacker would get it from the JWKS. */
function serverPublicKey(kit: Kit): KeyObject {
  const jwk = kit.jwks.keys[0]
  if (jwk === undefined) throw new Error('the JWKS has no key')
  return createPublicKey({ key: jwk as never, format: 'jwk' })
}

function hs256With(kit: Kit, secret: Uint8Array | string, header = kit.header({ alg: 'HS256' })) {
  return bearer(
    forgeToken({
      header,
      payload: kit.claims(),
      sign: { alg: 'HS256', key: typeof secret === 'string' ? Buffer.from(secret) : secret },
    }),
  )
}

/** A real JWE in compact serialization (RFC 7516 §7.1): dir + A256GCM, with our kid. */
function jwe(kit: Kit): string {
  const protectedHeader = b64({ alg: 'dir', enc: 'A256GCM', kid: kit.header()['kid'] })
  const key = randomBytes(32)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'))
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(kit.claims())), cipher.final()])
  return [
    protectedHeader,
    '',
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.')
}

const NONE_CASINGS = ['none', 'None', 'NONE', 'nOnE']

const ATTACKS: readonly Attack[] = [
  ...NONE_CASINGS.flatMap((alg): Attack[] => [
    {
      name: `alg "${alg}" without a signature`,
      code: 'unsupported_algorithm',
      header: (kit) => bearer(forgeToken({ header: kit.header({ alg }), payload: kit.claims() })),
    },
    {
      name: `alg "${alg}" with a genuine token's signature`,
      code: 'unsupported_algorithm',
      header: (kit) =>
        bearer(
          forgeToken({
            header: kit.header({ alg }),
            payload: kit.claims(),
            signature: kit.target.victim.accessToken.split('.')[2],
          }),
        ),
    },
  ]),

  // HS256 keyed with the server's public key (the classic RS/ES → HS confusion).
  {
    name: 'HS256 keyed with the public key as SPKI PEM',
    code: 'unsupported_algorithm',
    only: 'ES256',
    header: (kit) => hs256With(kit, serverPublicKey(kit).export({ type: 'spki', format: 'pem' })),
  },
  {
    name: 'HS256 keyed with the public key as PEM without its final newline',
    code: 'unsupported_algorithm',
    only: 'ES256',
    header: (kit) =>
      hs256With(
        kit,
        String(serverPublicKey(kit).export({ type: 'spki', format: 'pem' })).trimEnd(),
      ),
  },
  {
    name: 'HS256 keyed with the public key as SPKI DER',
    code: 'unsupported_algorithm',
    only: 'ES256',
    header: (kit) => hs256With(kit, serverPublicKey(kit).export({ type: 'spki', format: 'der' })),
  },
  {
    name: 'HS256 keyed with the public key as the JWKS entry (JSON)',
    code: 'unsupported_algorithm',
    only: 'ES256',
    header: (kit) => hs256With(kit, JSON.stringify(kit.jwks.keys[0])),
  },
  {
    name: 'HS256 keyed with the public key as a minimal JWK (JSON)',
    code: 'unsupported_algorithm',
    only: 'ES256',
    header: (kit) => hs256With(kit, JSON.stringify(serverPublicKey(kit).export({ format: 'jwk' }))),
  },
  {
    name: 'HS256 keyed with the public key, no kid',
    code: 'malformed_token',
    only: 'ES256',
    header: (kit) =>
      hs256With(
        kit,
        serverPublicKey(kit).export({ type: 'spki', format: 'pem' }),
        without(kit.header({ alg: 'HS256' }), 'kid'),
      ),
  },
  ...['', 'secret', 'test-hs256'].map((secret): Attack => ({
    name: `HS256 with the guessed secret "${secret}"`,
    code: 'invalid_signature',
    only: 'HS256',
    header: (kit) => hs256With(kit, secret),
  })),
  {
    name: "ES256 signed by the attacker's key under the server's kid",
    code: 'unsupported_algorithm',
    only: 'HS256',
    header: (kit) =>
      bearer(
        forgeToken({
          header: kit.header({ alg: 'ES256' }),
          payload: kit.claims(),
          sign: { alg: 'ES256', key: kit.attacker.privateKey },
        }),
      ),
  },

  // Header members that would let the token choose its own key.
  ...[false, true].map((ourKid): Attack => ({
    name: `embedded jwk of the attacker's key, ${ourKid ? "with the server's kid" : 'with its own kid'}`,
    code: 'malformed_token',
    header: (kit) =>
      bearer(
        forgeToken({
          header: {
            alg: 'ES256',
            typ: 'at+jwt',
            kid: ourKid ? kit.header()['kid'] : 'attacker',
            jwk: kit.attacker.publicJwk,
          },
          payload: kit.claims(),
          sign: { alg: 'ES256', key: kit.attacker.privateKey },
        }),
      ),
  })),
  ...(
    [
      ['jku', 'https://attacker.example/jwks.json'],
      ['x5u', 'https://attacker.example/cert.pem'],
      ['x5c', ['MIIBszCCAVmgAwIBAgIUQk']],
    ] as const
  ).map(([member, value]): Attack => ({
    name: `${member} pointing elsewhere`,
    code: 'malformed_token',
    header: (kit) =>
      bearer(
        forgeToken({
          header: { alg: 'ES256', typ: 'at+jwt', kid: 'attacker', [member]: value },
          payload: kit.claims(),
          sign: { alg: 'ES256', key: kit.attacker.privateKey },
        }),
      ),
  })),

  // kid games, otherwise signed by the server's own key.
  ...['../../../../../../etc/passwd', "x' OR '1'='1' --", 'a'.repeat(200)].map((kid): Attack => ({
    name: `kid ${JSON.stringify(kid.slice(0, 40))}`,
    code: 'invalid_signature',
    header: (kit) => bearer(kit.signed({ header: kit.header({ kid }) })),
  })),
  {
    name: 'kid /dev/null with an HMAC over the empty key',
    code: 'invalid_signature',
    only: 'HS256',
    header: (kit) => hs256With(kit, '', kit.header({ alg: 'HS256', kid: '/dev/null' })),
  },
  {
    name: 'kid /dev/null with an HMAC over the empty key, alg HS256 against an ES256 key set',
    code: 'invalid_signature',
    only: 'ES256',
    header: (kit) => hs256With(kit, '', kit.header({ alg: 'HS256', kid: '/dev/null' })),
  },
  ...(
    [
      ['empty', ''],
      ['300 characters', 'k'.repeat(300)],
      ['2000 characters', 'k'.repeat(2000)],
      ['a number', 1],
      ['null', null],
      ['an object', { $ne: null }],
      ['an array', ['test-es256']],
    ] as const
  ).map(([label, kid]): Attack => ({
    name: `kid ${label}`,
    code: 'malformed_token',
    header: (kit) => bearer(kit.signed({ header: kit.header({ kid }) })),
  })),

  // Signatures.
  {
    name: 'all-zero signature (CVE-2022-21449 psychic signature on ES256)',
    code: 'invalid_signature',
    header: (kit) => {
      const size = kit.target.keys.alg === 'ES256' ? 64 : 32
      return bearer(
        forgeToken({
          header: kit.header(),
          payload: kit.claims({ roles: ['admin'] }),
          signature: Buffer.alloc(size).toString('base64url'),
        }),
      )
    },
  },
  {
    name: 'DER-encoded r=0, s=0 signature',
    code: 'invalid_signature',
    header: (kit) =>
      bearer(
        forgeToken({
          header: kit.header(),
          payload: kit.claims(),
          signature: Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]).toString(
            'base64url',
          ),
        }),
      ),
  },
  {
    name: 'signature stripped',
    code: 'invalid_signature',
    header: (kit) => {
      const [h, p] = kit.signed({}).split('.')
      return bearer(`${h}.${p}.`)
    },
  },
  {
    name: 'signature truncated to 30 bytes',
    code: 'invalid_signature',
    header: (kit) => {
      const [h, p, s] = kit.signed({}).split('.')
      return bearer(`${h}.${p}.${s?.slice(0, 40)}`)
    },
  },
  {
    name: "another genuine token's signature",
    code: 'invalid_signature',
    header: (kit) => {
      const [h, p] = kit.signed({}).split('.')
      return bearer(`${h}.${p}.${kit.target.victim.accessToken.split('.')[2]}`)
    },
  },
  ...(
    [
      ['roles', ['admin']],
      ['sub', '00000000-0000-4000-8000-000000000000'],
      ['tid', '00000000-0000-4000-8000-000000000000'],
      ['exp', 4_102_444_800],
    ] as const
  ).map(([claim, value]): Attack => ({
    name: `${claim} tampered after signing`,
    code: 'invalid_signature',
    header: (kit) => {
      const [h, , s] = kit.target.victim.accessToken.split('.')
      const tampered = { ...kit.target.claims, [claim]: value }
      return bearer(`${h}.${b64(tampered)}.${s}`)
    },
  })),

  // Validly signed, wrong claims.
  {
    name: 'expired',
    code: 'expired_token',
    header: (kit) =>
      bearer(
        kit.signed({
          payload: kit.claims({ iat: kit.nowSeconds - 1000, exp: kit.nowSeconds - 100 }),
        }),
      ),
  },
  {
    name: 'exp exactly now',
    code: 'expired_token',
    header: (kit) =>
      bearer(
        kit.signed({ payload: kit.claims({ iat: kit.nowSeconds - 900, exp: kit.nowSeconds }) }),
      ),
  },
  {
    name: 'nbf in the future',
    code: 'not_yet_valid',
    header: (kit) => bearer(kit.signed({ payload: kit.claims({ nbf: kit.nowSeconds + 60 }) })),
  },
  {
    name: 'iat in the future',
    code: 'not_yet_valid',
    header: (kit) =>
      bearer(
        kit.signed({
          payload: kit.claims({ iat: kit.nowSeconds + 60, exp: kit.nowSeconds + 900 }),
        }),
      ),
  },
  {
    name: 'wrong iss',
    code: 'wrong_issuer',
    header: (kit) =>
      bearer(kit.signed({ payload: kit.claims({ iss: 'https://attacker.example' }) })),
  },
  {
    name: 'iss with a trailing slash',
    code: 'wrong_issuer',
    header: (kit) =>
      bearer(kit.signed({ payload: kit.claims({ iss: `${String(kit.target.claims['iss'])}/` }) })),
  },
  {
    name: 'wrong aud',
    code: 'wrong_audience',
    header: (kit) => bearer(kit.signed({ payload: kit.claims({ aud: 'warden-reports' }) })),
  },
  {
    name: 'aud array without ours',
    code: 'wrong_audience',
    header: (kit) =>
      bearer(
        kit.signed({
          payload: kit.claims({ aud: ['warden-reports', 'WARDEN-API', ' warden-api'] }),
        }),
      ),
  },
  {
    name: 'aud empty array',
    code: 'malformed_token',
    header: (kit) => bearer(kit.signed({ payload: kit.claims({ aud: [] }) })),
  },
  ...['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'].map((claim): Attack => ({
    name: `${claim} missing`,
    code: 'missing_claim',
    header: (kit) => bearer(kit.signed({ payload: without(kit.claims(), claim) })),
  })),
  ...(
    [
      ['a string', (now: number) => String(now + 600)],
      ['a float', (now: number) => now + 600.5],
      ['1e21', () => 1e21],
      ['2^53', () => 2 ** 53],
    ] as const
  ).map(([label, exp]): Attack => ({
    name: `exp as ${label}`,
    code: 'malformed_token',
    header: (kit) => bearer(kit.signed({ payload: kit.claims({ exp: exp(kit.nowSeconds) }) })),
  })),
  {
    name: 'exp negative',
    code: 'expired_token',
    header: (kit) => bearer(kit.signed({ payload: kit.claims({ exp: -1 }) })),
  },

  // Header semantics.
  ...(['JWT', undefined, 'at+jwt '] as const).map((typ): Attack => ({
    name: `typ ${typ === undefined ? 'missing' : JSON.stringify(typ)}`,
    code: 'wrong_type',
    header: (kit) =>
      bearer(
        kit.signed({
          header: typ === undefined ? without(kit.header(), 'typ') : kit.header({ typ }),
        }),
      ),
  })),
  {
    name: 'crit with an unknown name',
    code: 'malformed_token',
    header: (kit) =>
      bearer(
        kit.signed({
          header: kit.header({
            crit: ['urn:attacker:ignore-exp'],
            'urn:attacker:ignore-exp': true,
          }),
        }),
      ),
  },
  {
    name: 'crit naming exp',
    code: 'malformed_token',
    header: (kit) => bearer(kit.signed({ header: kit.header({ crit: ['exp'], exp: 1 }) })),
  },

  // Shape.
  { name: 'a JWE', code: 'malformed_token', header: (kit) => bearer(jwe(kit)) },
  ...[2, 4, 6].map((segments): Attack => ({
    name: `${segments} segments`,
    code: 'malformed_token',
    header: (kit) => {
      const parts = kit.signed({}).split('.')
      while (parts.length < segments) parts.push(parts[2] ?? '')
      return bearer(parts.slice(0, segments).join('.'))
    },
  })),
  ...(
    [
      [
        '"+" in the header segment',
        (h: string, p: string, s: string) => `${h.replace(/-/g, '+')}+.${p}.${s}`,
      ],
      ['"/" in the payload segment', (h: string, p: string, s: string) => `${h}.${p}/.${s}`],
      ['"=" padding on the signature', (h: string, p: string, s: string) => `${h}.${p}.${s}==`],
      [
        'a non-canonical last character of the signature',
        (h: string, p: string, s: string) => `${h}.${p}.${s.slice(0, -1)}${nonCanonical(s)}`,
      ],
    ] as const
  ).map(([label, mangle]): Attack => ({
    name: `non-base64url: ${label}`,
    code: 'malformed_token',
    header: (kit) => {
      const [h = '', p = '', s = ''] = kit.signed({}).split('.')
      return bearer(mangle(h, p, s))
    },
  })),
  ...(['!', '%41', ' ', '"'] as const).map((character): Attack => ({
    name: `a ${JSON.stringify(character)} in the token`,
    code: 'invalid_request',
    header: (kit) => {
      const [h, p, s] = kit.signed({}).split('.')
      return bearer(`${h}.${p}${character}.${s}`)
    },
  })),
  {
    name: 'duplicate names in the header (alg twice)',
    code: 'malformed_token',
    header: (kit) => {
      const kid = JSON.stringify(kit.header()['kid'])
      const alg = JSON.stringify(kit.target.keys.alg)
      return bearer(
        kit.signed({ header: `{"alg":${alg},"kid":${kid},"typ":"at+jwt","alg":"none"}` }),
      )
    },
  },
  {
    name: 'duplicate names in the signed payload (sub twice)',
    code: 'malformed_token',
    header: (kit) => {
      const json = JSON.stringify(kit.claims())
      return bearer(
        kit.signed({
          payload: `${json.slice(0, -1)},"sub":"00000000-0000-4000-8000-000000000000"}`,
        }),
      )
    },
  },
  {
    name: 'header not a JSON object',
    code: 'malformed_token',
    header: (kit) => bearer(kit.signed({ header: '["ES256"]' })),
  },
  {
    name: 'payload not JSON',
    code: 'malformed_token',
    header: (kit) => bearer(kit.signed({ payload: 'sub=admin' })),
  },
  {
    name: 'a refresh token as the access token',
    code: 'malformed_token',
    header: (kit) => bearer(kit.target.victim.refreshToken),
  },
]

/** A base64url character with the spare low bits set, decoding to the same bytes as `s`'s last. */
function nonCanonical(signature: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(signature.at(-1) ?? 'A')
  const spare = signature.length % 4 === 2 ? 0x0f : 0x03
  return alphabet[last | spare] ?? 'A'
}

describe.each(testBackends())('forged access tokens on %s', (backend) => {
  describe.each(KEY_CONFIGS)('signing with $label', ({ alg }) => {
    let target: AttackTarget
    let kit: Kit

    beforeAll(async () => {
      target = await startAttackTarget({ backend, alg })
      const jwks = (await (await target.t.request('/.well-known/jwks.json')).json()) as Kit['jwks']
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const nowSeconds = Math.floor(target.t.clock.now() / 1000)
      const genuineHeader = target.header
      kit = {
        target,
        jwks,
        nowSeconds,
        claims: (overrides = {}) => ({
          ...target.claims,
          jti: freshJti(target.t.clock.now()),
          iat: nowSeconds,
          exp: nowSeconds + 600,
          ...overrides,
        }),
        header: (overrides = {}) => ({ ...genuineHeader, ...overrides }),
        signed: ({ header, payload }) =>
          forgeToken({
            header: header ?? { ...genuineHeader },
            payload: payload ?? kit.claims(),
            sign: { alg, key: target.keys.signingKey },
          }),
        attacker: {
          privateKey: attacker.privateKey,
          publicJwk: { ...attacker.publicKey.export({ format: 'jwk' }) },
        },
      }
    })
    afterAll(async () => {
      await target.t[Symbol.asyncDispose]()
    })

    it('the genuine token and a token the test signs with the server key are accepted (the forgeries are not refused for a trivial reason)', async () => {
      for (const token of [target.victim.accessToken, kit.signed({})]) {
        const result = await target.t.call('system.whoami', undefined, { token })
        expect(result.status).toBe(200)
      }
      // The attacker's view: the ES256 public key is published, an HS256 secret never is.
      expect(kit.jwks.keys).toHaveLength(alg === 'ES256' ? 1 : 0)
    })

    const cases = ATTACKS.filter((attack) => attack.only === undefined || attack.only === alg)
    it.each(cases.map((attack) => [attack.name, attack] as const))('%s', async (_name, attack) => {
      const authorization = await attack.header(kit)
      await expectRefused(target, authorization, {
        status: attack.code === 'invalid_request' ? 400 : 401,
        code: attack.code,
      })
    })

    it('a 1 MiB token is refused as malformed_token, quickly', async () => {
      const [h, p, s] = kit.signed({}).split('.')
      const huge = `${h}.${p}${'A'.repeat(1024 * 1024)}.${s}`
      const started = performance.now()
      await expectRefused(target, bearer(huge), { status: 401, code: 'malformed_token' })
      // Two requests plus bookkeeping; the verifier refuses on length before decoding anything.
      expect(performance.now() - started).toBeLessThan(1000)
    })

    it('after every forgery the victim still works and no project was planted', async () => {
      expect(await countProjects(target.t)).toBe(0)
      const result = await target.t.call('system.whoami', undefined, {
        token: target.victim.accessToken,
      })
      expect(result.status).toBe(200)
    })
  })
})
