import { afterEach, describe, expect, it, vi } from 'vitest'

import { createKeyedQueue } from './keyed-queue.ts'

function deferred() {
  let resolve: () => void = () => undefined
  const promise = new Promise<void>((done) => (resolve = done))
  return { promise, resolve }
}

describe('createKeyedQueue', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs the tasks of one key one at a time, in order, and other keys alongside', async () => {
    const queue = createKeyedQueue({ maxWaiting: 4 })
    const order: string[] = []
    const gate = deferred()
    const first = queue.run('ip', async () => {
      order.push('first start')
      await gate.promise
      order.push('first end')
    })
    const second = queue.run('ip', () => {
      order.push('second')
      return Promise.resolve()
    })
    const other = queue.run('other', () => {
      order.push('other')
      return Promise.resolve()
    })
    await other
    expect(order).toEqual(['first start', 'other'])
    gate.resolve()
    await Promise.all([first, second])
    expect(order).toEqual(['first start', 'other', 'first end', 'second'])
    expect(queue.size).toBe(0)
  })

  it('refuses beyond maxWaiting', async () => {
    const queue = createKeyedQueue({ maxWaiting: 1 })
    const gate = deferred()
    const running = queue.run('ip', () => gate.promise)
    const waiting = queue.run('ip', () => Promise.resolve('ran'))
    expect(await queue.run('ip', () => Promise.resolve('ran'))).toBeUndefined()
    gate.resolve()
    await running
    expect(await waiting).toEqual({ value: 'ran' })
  })

  it('gives up on a waiter after maxWaitMs, and the lane goes on with the others', async () => {
    vi.useFakeTimers()
    const queue = createKeyedQueue({ maxWaiting: 4, maxWaitMs: 5000 })
    const gate = deferred()
    const task = vi.fn(() => Promise.resolve('ran'))
    const running = queue.run('ip', () => gate.promise)
    const early = queue.run('ip', task)
    await vi.advanceTimersByTimeAsync(3000)
    const late = queue.run('ip', task)
    await vi.advanceTimersByTimeAsync(2000)
    // The first waiter waited 5 s: refused, and its task never runs.
    expect(await early).toBeUndefined()
    gate.resolve()
    await running
    // The later waiter had waited 2 s when the lane freed: it runs.
    expect(await late).toEqual({ value: 'ran' })
    expect(task).toHaveBeenCalledTimes(1)
    expect(queue.size).toBe(0)
  })
})
