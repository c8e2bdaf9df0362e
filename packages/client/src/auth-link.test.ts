import {
  createTRPCUntypedClient,
  TRPCClientError,
  type Operation,
  type TRPCLink,
} from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { observable } from '@trpc/server/observable'
import { describe, expect, test, vi } from 'vitest'

import { authLink, type AuthLinkOptions } from './auth-link.ts'

type Answer = { data: unknown } | { authError: string; httpStatus?: number } | { fail: Error }

/** A terminating link answering from a script, recording what it was sent with. */
function scriptedLink(answer: (op: Operation, sent: number) => Answer) {
  const sent: { path: string; token: string | null }[] = []
  let token: string | null = 'first'
  const link: TRPCLink<AnyRouter> =
    () =>
    ({ op }) =>
      observable((observer) => {
        sent.push({ path: op.path, token })
        const result = answer(op, sent.length)
        if ('data' in result) {
          observer.next({ result: { type: 'data', data: result.data } })
          observer.complete()
        } else if ('fail' in result) {
          observer.error(TRPCClientError.from(result.fail))
        } else {
          observer.error(
            TRPCClientError.from({
              error: {
                code: -32001,
                message: result.authError,
                data: { httpStatus: result.httpStatus ?? 401, authError: result.authError },
              },
            }),
          )
        }
        return () => undefined
      })
  return {
    link,
    sent,
    setToken: (next: string | null) => {
      token = next
    },
    get token() {
      return token
    },
  }
}

function clientWith(
  script: ReturnType<typeof scriptedLink>,
  options: Partial<AuthLinkOptions> & Pick<AuthLinkOptions, 'refresh'>,
) {
  return createTRPCUntypedClient<AnyRouter>({
    links: [
      authLink({
        session: {
          get accessToken() {
            return script.token
          },
        },
        ...options,
      }),
      script.link,
    ],
  })
}

describe('authLink', () => {
  test('expired_token: one refresh, one replay, the data reaches the caller', async () => {
    const script = scriptedLink((_op, sent) =>
      sent === 1 ? { authError: 'expired_token' } : { data: 'ok' },
    )
    const refresh = vi.fn(() => {
      script.setToken('second')
      return Promise.resolve()
    })

    await expect(clientWith(script, { refresh }).query('system.whoami')).resolves.toBe('ok')

    expect(refresh).toHaveBeenCalledTimes(1)
    expect(script.sent).toEqual([
      { path: 'system.whoami', token: 'first' },
      { path: 'system.whoami', token: 'second' },
    ])
  })

  test('an error with no auth code passes through as the same instance', async () => {
    const failure = new Error('boom')
    const script = scriptedLink(() => ({ fail: failure }))
    const refresh = vi.fn(() => Promise.resolve())
    const onAuthFailure = vi.fn()

    const error = await clientWith(script, { refresh, onAuthFailure })
      .query('system.info')
      .catch((e: unknown) => e)

    expect((error as Error).cause).toBe(failure)
    expect(refresh).not.toHaveBeenCalled()
    expect(onAuthFailure).not.toHaveBeenCalled()
  })

  test('a replay that meets expired_token again surfaces it; refresh ran once', async () => {
    const script = scriptedLink(() => ({ authError: 'expired_token' }))
    const refresh = vi.fn(() => {
      script.setToken(`t${refresh.mock.calls.length}`)
      return Promise.resolve()
    })
    const onAuthFailure = vi.fn()

    const error = await clientWith(script, { refresh, onAuthFailure })
      .mutation('projects.create', { name: 'x' })
      .catch((e: unknown) => e)

    expect(error).toBeInstanceOf(TRPCClientError)
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(script.sent).toHaveLength(2)
    expect(onAuthFailure).toHaveBeenCalledExactlyOnceWith('expired_token')
  })

  test('a token changed since the operation was sent: replay without refreshing', async () => {
    const script = scriptedLink((_op, sent) => {
      if (sent === 1) {
        script.setToken('refreshed-elsewhere')
        return { authError: 'expired_token' }
      }
      return { data: 'ok' }
    })
    const refresh = vi.fn(() => Promise.resolve())

    await expect(clientWith(script, { refresh }).query('a')).resolves.toBe('ok')

    expect(refresh).not.toHaveBeenCalled()
    expect(script.sent.map((s) => s.token)).toEqual(['first', 'refreshed-elsewhere'])
  })

  test('signed out since the operation was sent: the original error, no refresh, no replay', async () => {
    const script = scriptedLink(() => {
      script.setToken(null)
      return { authError: 'expired_token' }
    })
    const refresh = vi.fn(() => Promise.resolve())

    const error = await clientWith(script, { refresh })
      .query('a')
      .catch((e: unknown) => e)

    expect(error).toMatchObject({ data: { authError: 'expired_token' } })
    expect(refresh).not.toHaveBeenCalled()
    expect(script.sent).toHaveLength(1)
  })

  test('a refresh that rejects with a plain error fails the operation with a TRPCClientError', async () => {
    const script = scriptedLink(() => ({ authError: 'expired_token' }))
    const cause = new Error('storage unavailable')

    const error = await clientWith(script, { refresh: () => Promise.reject(cause) })
      .query('a')
      .catch((e: unknown) => e)

    expect(error).toBeInstanceOf(TRPCClientError)
    expect((error as Error).cause).toBe(cause)
    expect(script.sent).toHaveLength(1)
  })

  test.each(['auth.login', 'auth.refresh', 'auth.register'])(
    '%s is never refreshed for',
    async (path) => {
      const script = scriptedLink(() => ({ authError: 'expired_token' }))
      const refresh = vi.fn(() => Promise.resolve())

      await expect(clientWith(script, { refresh }).mutation(path, {})).rejects.toBeInstanceOf(
        TRPCClientError,
      )
      expect(refresh).not.toHaveBeenCalled()
    },
  )

  test('an operation aborted while the refresh runs is not replayed', async () => {
    const script = scriptedLink(() => ({ authError: 'expired_token' }))
    let finish: () => void = () => undefined
    const refresh = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve
        }),
    )
    const controller = new AbortController()

    const call = clientWith(script, { refresh })
      .query('a', undefined, { signal: controller.signal })
      .catch((e: unknown) => e)
    await vi.waitFor(() => {
      expect(refresh).toHaveBeenCalled()
    })
    controller.abort()
    const error = await call
    finish()
    await Promise.resolve()

    expect(error).toBeInstanceOf(TRPCClientError)
    expect(script.sent).toHaveLength(1)
  })

  test('subscriptions pass through untouched', async () => {
    const script = scriptedLink(() => ({ authError: 'expired_token' }))
    const refresh = vi.fn(() => Promise.resolve())

    const error = await new Promise((resolve) => {
      clientWith(script, { refresh }).subscription('events', undefined, { onError: resolve })
    })

    expect(error).toMatchObject({ data: { authError: 'expired_token' } })
    expect(refresh).not.toHaveBeenCalled()
  })
})
