import { createTRPCClient, httpLink } from '@trpc/client'

import {
  createWardenClient,
  memoryStorage,
  type StoredTokens,
  type WardenClient,
  type WardenClientOptions,
} from '../../src/index.ts'
import type { TargetRouter, WardenTarget } from './target.ts'

export const PASSWORD = 'correct horse battery staple'

let accounts = 0

/** A fresh account's credentials, registered through the public `auth.register`. */
export async function createAccount(
  target: WardenTarget,
): Promise<{ email: string; password: string }> {
  const email = `user${++accounts}-${Date.now()}@example.test`
  await rawClient(target).auth.register.mutate({ email, password: PASSWORD })
  return { email, password: PASSWORD }
}

/** A bearer client of `target`, signed in to a fresh account. */
export async function signedInClient(
  target: WardenTarget,
  options: Partial<WardenClientOptions<TargetRouter>> = {},
): Promise<{ warden: WardenClient<TargetRouter>; email: string }> {
  const warden = createWardenClient<TargetRouter>({
    url: target.url,
    transport: 'bearer',
    ...options,
  })
  const account = await createAccount(target)
  await warden.login(account)
  return { warden, email: account.email }
}

/** A plain tRPC client with no auth handling: the test's own hands on the wire. */
export function rawClient(target: WardenTarget, accessToken?: string) {
  return createTRPCClient<TargetRouter>({
    links: [
      httpLink({
        url: `${target.url}/trpc`,
        headers: () =>
          accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` },
      }),
    ],
  })
}

/** A memory storage that starts with `tokens`. */
export function storageWith(tokens: StoredTokens) {
  const storage = memoryStorage()
  void storage.set(tokens)
  return storage
}

/** Resolves at the next change of a client's session. */
export function nextSessionChange(warden: WardenClient<TargetRouter>) {
  return new Promise<{ isAuthenticated: boolean; expiresAt: number | null }>((resolve) => {
    const unsubscribe = warden.session.subscribe((session) => {
      unsubscribe()
      resolve(session)
    })
  })
}

/** Settles a promise into its error (or fails if it fulfils). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('Expected a rejection')
}
