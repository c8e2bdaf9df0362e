import {
  createTRPCClient,
  createTRPCUntypedClient,
  httpBatchLink,
  type TRPCLink,
} from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { observable } from '@trpc/server/observable'
import { afterAll, beforeAll, bench, describe } from 'vitest'

import {
  authLink,
  createServiceClient,
  createWardenClient,
  type WardenClient,
} from '../src/index.ts'
import { createAccount } from '../tests/harness/clients.ts'
import { startTarget, type TargetRouter, type WardenTarget } from '../tests/harness/target.ts'

let target: WardenTarget
let warden: WardenClient<TargetRouter>
let bare: ReturnType<typeof createTRPCClient<TargetRouter>>
let service: ReturnType<typeof createServiceClient<TargetRouter>>

beforeAll(async () => {
  target = await startTarget({ accessTokenTtlMs: 3600_000 })
  warden = createWardenClient<TargetRouter>({ url: target.url, transport: 'bearer' })
  await warden.login(await createAccount(target))
  let accessToken = ''
  const storageProbe = createWardenClient<TargetRouter>({
    url: target.url,
    transport: 'bearer',
    storage: {
      get: () => null,
      set: (tokens) => {
        accessToken = tokens?.accessToken ?? ''
      },
    },
  })
  await storageProbe.login(await createAccount(target))
  bare = createTRPCClient<TargetRouter>({
    links: [
      httpBatchLink({
        url: `${target.url}/trpc`,
        headers: () => ({ authorization: `Bearer ${accessToken}` }),
      }),
    ],
  })
  const credentials = await target.createServiceClient({
    clientId: 'bench',
    audiences: [target.audience],
  })
  service = createServiceClient<TargetRouter>({
    url: target.url,
    tokenUrl: target.tokenUrl,
    audience: target.audience,
    clock: target.clock,
    ...credentials,
  })
})

afterAll(async () => {
  await target.close()
})

describe('one call with a valid token (overhead of the auth link and per-request headers)', () => {
  bench('bare tRPC client (httpBatchLink, static token)', async () => {
    await bare.system.whoami.query()
  })
  bench('createWardenClient', async () => {
    await warden.api.system.whoami.query()
  })
  bench('createServiceClient (cached token)', async () => {
    await service.api.system.whoami.query()
  })
})

describe('100 parallel calls across expiry: one refresh, 100 replays', () => {
  bench(
    'createWardenClient',
    async () => {
      target.clock.advance(3600_000)
      await Promise.all(Array.from({ length: 100 }, () => warden.api.system.whoami.query()))
    },
    { iterations: 50 },
  )
  bench(
    '100 parallel calls, no expiry (baseline)',
    async () => {
      await Promise.all(Array.from({ length: 100 }, () => warden.api.system.whoami.query()))
    },
    { iterations: 50 },
  )
})

describe('the auth link alone, in memory (no HTTP): cost per operation', () => {
  const answer: TRPCLink<AnyRouter> = () => () =>
    observable((observer) => {
      observer.next({ result: { type: 'data', data: 1 } })
      observer.complete()
      return () => undefined
    })
  const plain = createTRPCUntypedClient<AnyRouter>({ links: [answer] })
  const guarded = createTRPCUntypedClient<AnyRouter>({
    links: [authLink({ session: { accessToken: 'at' }, refresh: () => Promise.resolve() }), answer],
  })
  bench('terminating link only', async () => {
    await plain.query('system.whoami')
  })
  bench('authLink + terminating link', async () => {
    await guarded.query('system.whoami')
  })
})
