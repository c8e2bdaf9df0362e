import { describe, expectTypeOf, test } from 'vitest'

import type { AppRouter } from '@warden/api'

import { createServiceClient, createWardenClient } from '../../src/index.ts'

// The real router's types, from `import type { AppRouter }` alone: no codegen, no transformer.
const warden = createWardenClient<AppRouter>({ url: 'http://localhost:3000', transport: 'cookie' })
const service = createServiceClient<AppRouter>({
  url: 'http://localhost:3000',
  tokenUrl: 'http://localhost:3000/oauth/token',
  clientId: 'reports',
  clientSecret: 'secret',
  audience: 'warden-api',
})

describe("the real AppRouter's procedure types reach the client", () => {
  test('inputs', () => {
    expectTypeOf(warden.api.projects.create.mutate).parameter(0).toEqualTypeOf<{ name: string }>()
    expectTypeOf(warden.api.projects.get.query).parameter(0).toEqualTypeOf<{ id: string }>()
    expectTypeOf(warden.api.invoices.create.mutate)
      .parameter(0)
      .toEqualTypeOf<{ amount: number; description: string }>()
    // An input with a default may be left out.
    expectTypeOf(service.api.invoices.list.query).toBeCallableWith({ tenantId: 'tenant' })
    expectTypeOf(service.api.invoices.list.query).toBeCallableWith()
    expectTypeOf(warden.api.auth.login.mutate).parameter(0).toEqualTypeOf<{
      email: string
      password: string
      transport?: 'bearer' | 'cookie' | undefined
    }>()
  })

  test('outputs', () => {
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
      roles: string[]
      scope: string
      tenantId: string | null
      expiresAt: string
    }>()
    expectTypeOf(warden.api.system.info.query).returns.resolves.toEqualTypeOf<{
      name: 'warden'
      version: string
      issuer: string
    }>()
    expectTypeOf(service.api.invoices.list.query)
      .returns.resolves.items.toHaveProperty('status')
      .toEqualTypeOf<'pending' | 'approved'>()
    expectTypeOf(warden.api.auth.logoutAll.mutate).returns.resolves.toEqualTypeOf<{
      ok: true
      sessionsEnded: number
    }>()
  })

  test('wrong inputs and unknown procedures do not compile', () => {
    // @ts-expect-error a number is no name
    void warden.api.projects.create.mutate({ name: 42 })
    // @ts-expect-error the input is required
    void warden.api.projects.get.query()
    // @ts-expect-error an amount is a number
    void warden.api.invoices.create.mutate({ amount: '42', description: 'Hosting' })
    // @ts-expect-error no such transport
    void warden.api.auth.login.mutate({ email: 'a@b.c', password: 'p', transport: 'header' })
    // @ts-expect-error no such procedure
    void warden.api.projects.rename.mutate({ id: 'p', name: 'q' })
    // @ts-expect-error a query is not mutated
    void service.api.system.whoami.mutate()
    // @ts-expect-error a mutation is not queried
    void warden.api.auth.logoutAll.query()
  })
})
