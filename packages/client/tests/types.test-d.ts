import { initTRPC } from '@trpc/server'
import { describe, expectTypeOf, test } from 'vitest'

import {
  authErrorOf,
  createServiceClient,
  createWardenClient,
  type WardenClientError,
  type WardenClientErrorCode,
} from '../src/index.ts'
import type { TargetRouter } from './harness/target.ts'

const warden = createWardenClient<TargetRouter>({ url: 'http://localhost', transport: 'bearer' })
const service = createServiceClient<TargetRouter>({
  url: 'http://localhost',
  tokenUrl: 'http://localhost/oauth/token',
  clientId: 'c',
  clientSecret: 's',
  audience: 'warden-api',
})

describe('procedure types flow from the router type, with no codegen', () => {
  test('inputs and outputs', () => {
    expectTypeOf(warden.api.projects.create.mutate).parameter(0).toEqualTypeOf<{ name: string }>()
    expectTypeOf(warden.api.projects.create.mutate).returns.resolves.toEqualTypeOf<{
      id: string
      name: string
    }>()
    expectTypeOf(warden.api.projects.list.query).returns.resolves.toEqualTypeOf<
      { id: string; name: string }[]
    >()
    expectTypeOf(warden.api.system.whoami.query).returns.resolves.toEqualTypeOf<{
      sub: string
      clientId: string
      roles: readonly string[]
      scope: string
      tenantId: string | null
      expiresAt: number
    }>()
    expectTypeOf(service.api.system.info.query).returns.resolves.toHaveProperty('issuer')
  })

  test('wrong inputs and unknown procedures do not compile', () => {
    // @ts-expect-error a number is no name
    void warden.api.projects.create.mutate({ name: 42 })
    // @ts-expect-error the input is required
    void warden.api.projects.create.mutate()
    // @ts-expect-error no such procedure
    void warden.api.projects.rename.mutate({ id: 'p' })
    // @ts-expect-error a query is not mutated
    void service.api.system.whoami.mutate()
  })
})

describe('the client API', () => {
  test('login, register, logout, session', () => {
    expectTypeOf(warden.login).parameter(0).toEqualTypeOf<{
      readonly email: string
      readonly password: string
    }>()
    expectTypeOf(warden.register).returns.resolves.toEqualTypeOf<{
      readonly user: { readonly id: string; readonly email: string }
    }>()
    expectTypeOf(warden.logout).returns.resolves.toEqualTypeOf<
      { readonly revoked: true } | { readonly revoked: false; readonly error: unknown }
    >()
    expectTypeOf(warden.session.expiresAt).toEqualTypeOf<number | null>()
    expectTypeOf(service.getToken).returns.resolves.toBeString()
  })

  test('errors', () => {
    expectTypeOf(authErrorOf).returns.toEqualTypeOf<string | undefined>()
    expectTypeOf<WardenClientError['code']>().toEqualTypeOf<WardenClientErrorCode>()
    expectTypeOf<'session_expired'>().toExtend<WardenClientErrorCode>()
    expectTypeOf<'expired_token'>().not.toExtend<WardenClientErrorCode>()
  })

  test('a router with a data transformer is refused: the wire is plain JSON', () => {
    const t = initTRPC.create({
      transformer: { serialize: (value: unknown) => value, deserialize: (value: unknown) => value },
    })
    const _withTransformer = t.router({ ping: t.procedure.query(() => new Date()) })
    // @ts-expect-error the transformer would make `Date` a lie on the wire
    createWardenClient<typeof _withTransformer>({ url: 'http://localhost', transport: 'bearer' })
    const plain = initTRPC.create()
    const _plainRouter = plain.router({ ping: plain.procedure.query(() => 'pong') })
    createWardenClient<typeof _plainRouter>({ url: 'http://localhost', transport: 'bearer' })
  })
})
