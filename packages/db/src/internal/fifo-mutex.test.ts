import { describe, expect, it } from 'vitest'

import { FifoMutex } from './fifo-mutex.ts'

describe('FifoMutex', () => {
  it('grants the lock in request order', async () => {
    const mutex = new FifoMutex()
    const order: number[] = []
    await mutex.lock()
    const waiters = [1, 2, 3].map((n) =>
      mutex.lock().then(() => {
        order.push(n)
        mutex.unlock()
      }),
    )
    expect(order).toEqual([])
    mutex.unlock()
    await Promise.all(waiters)
    expect(order).toEqual([1, 2, 3])
    expect(mutex.locked).toBe(false)
  })

  it('never lets two holders overlap', async () => {
    const mutex = new FifoMutex()
    let inside = 0
    let maxInside = 0
    await Promise.all(
      Array.from({ length: 20 }, () =>
        mutex.run(async () => {
          inside += 1
          maxInside = Math.max(maxInside, inside)
          await Promise.resolve()
          inside -= 1
        }),
      ),
    )
    expect(maxInside).toBe(1)
  })

  it('releases the lock when the critical section throws', async () => {
    const mutex = new FifoMutex()
    await expect(mutex.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(mutex.locked).toBe(false)
  })

  it('refuses to unlock a free mutex', () => {
    expect(() => {
      new FifoMutex().unlock()
    }).toThrow(Error)
  })
})
