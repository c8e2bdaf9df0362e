import { describe, expect, it } from 'vitest'

import { AuthError } from '../errors/auth-error.ts'
import { createSemaphore } from './create-semaphore.ts'

/** A task that finishes only when told to: a slow fake. */
function gate() {
  let open!: () => void
  const done = new Promise<void>((resolve) => {
    open = resolve
  })
  return { task: () => done.then(() => 'done'), open }
}

describe('createSemaphore', () => {
  it('runs up to maxConcurrent, queues up to maxQueue, refuses the rest', async () => {
    const semaphore = createSemaphore({ maxConcurrent: 2, maxQueue: 1 })
    const gates = [gate(), gate(), gate()]
    const started = gates.map((g) => semaphore.run(g.task))
    expect(semaphore.running).toBe(2)
    expect(semaphore.waiting).toBe(1)
    const refused: unknown = await semaphore
      .run(() => Promise.resolve('never'))
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthError)
    expect(refused).toMatchObject({ code: 'overloaded', retryAfter: 1 })
    for (const g of gates) g.open()
    expect(await Promise.all(started)).toEqual(['done', 'done', 'done'])
    expect(semaphore.running).toBe(0)
    expect(semaphore.waiting).toBe(0)
  })

  it('starts a queued task when a slot frees, in order', async () => {
    const semaphore = createSemaphore({ maxConcurrent: 1, maxQueue: 5 })
    const order: number[] = []
    const first = gate()
    const running = semaphore.run(first.task)
    const queued = [1, 2, 3].map((n) => semaphore.run(() => Promise.resolve(order.push(n))))
    expect(order).toEqual([])
    first.open()
    await Promise.all([running, ...queued])
    expect(order).toEqual([1, 2, 3])
  })

  it('frees the slot when a task fails', async () => {
    const semaphore = createSemaphore({ maxConcurrent: 1, maxQueue: 0 })
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await semaphore.run(() => Promise.resolve('ok'))).toBe('ok')
  })

  it('refuses at once with no queue', async () => {
    const semaphore = createSemaphore({ maxConcurrent: 1, maxQueue: 0 })
    const g = gate()
    const running = semaphore.run(g.task)
    await expect(semaphore.run(() => Promise.resolve('x'))).rejects.toMatchObject({
      code: 'overloaded',
    })
    g.open()
    await running
  })
})
