import { describe, expect, it, vi } from 'vitest'

import { appRouter, type ProcedureMeta } from '@warden/api'

import { startTestWarden } from '../../tests/harness.ts'
import { createLowPriorityLane, type LowPriorityLane } from './low-priority-lane.ts'

describe('createLowPriorityLane', () => {
  it('gives one turn per turn of the event loop, in order, with other work in between', async () => {
    const lane = createLowPriorityLane()
    const order: string[] = []
    const turns = ['a', 'b', 'c'].map((name) => lane.turn().then(() => order.push(name)))
    expect(lane.waiting).toBe(3)
    // Queued after the lane's first turn was scheduled, as an answer to I/O would be.
    setImmediate(() => order.push('other'))
    await Promise.all(turns)
    expect(order).toEqual(['a', 'other', 'b', 'c'])
    expect(lane.waiting).toBe(0)
  })

  it('starts again after it has run dry', async () => {
    const lane = createLowPriorityLane()
    await lane.turn()
    const order: string[] = []
    const later = lane.turn().then(() => order.push('turn'))
    order.push('now')
    await later
    expect(order).toEqual(['now', 'turn'])
  })
})

describe('password work waits in the lane', () => {
  it('marks exactly the procedures that hash or verify a password as low priority', () => {
    const procedures = appRouter._def.procedures as unknown as Record<
      string,
      { _def: { meta?: ProcedureMeta } }
    >
    const low = Object.keys(procedures).filter(
      (path) => procedures[path]?._def.meta?.priority === 'low',
    )
    expect(low.sort()).toEqual(['auth.login', 'auth.register'])
  })

  it('holds logins, registrations and client secrets there, and nothing else', async () => {
    // A lane the test opens and closes: while closed, every turn waits for `open()`.
    let closed = false
    const waiting: (() => void)[] = []
    const lane: LowPriorityLane = {
      turn: () =>
        closed ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve(),
      get waiting() {
        return waiting.length
      },
    }
    await using t = await startTestWarden({ backend: 'pglite', lane })
    const { accessToken, refreshToken } = await t.signUp('ada@example.com')
    closed = true

    const json = { 'content-type': 'application/json' }
    const post = async (path: string, body: string, headers: Record<string, string> = json) =>
      (await t.request(path, { method: 'POST', headers, body })).status
    const credentials = JSON.stringify({ email: 'ada@example.com', password: 'wrong password 123' })
    const held = [
      post('/trpc/auth.login', credentials),
      post('/trpc/auth.login,auth.login?batch=1', '{}'),
      post('/trpc/auth%2Elogin', credentials),
      post('/trpc/auth.register', '{}'),
      post('/oauth/token', 'grant_type=client_credentials&client_id=nobody&client_secret=wcs_x', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    ]
    await vi.waitFor(() => expect(lane.waiting).toBe(held.length))

    // Everything else is answered while they wait.
    const bearer = { authorization: `Bearer ${accessToken}` }
    expect((await t.request('/trpc/system.whoami', { headers: bearer })).status).toBe(200)
    expect((await t.request('/trpc/system.info')).status).toBe(200)
    expect(await post('/trpc/auth.refresh', JSON.stringify({ refreshToken }))).toBe(200)
    expect(lane.waiting).toBe(held.length)

    closed = false
    for (const start of waiting.splice(0)) start()
    expect(await Promise.all(held)).toEqual([401, 400, 401, 400, 401])
  })
})
