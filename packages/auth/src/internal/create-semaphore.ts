import { AuthError } from '../errors/auth-error.ts'

export interface Semaphore {
  /** Runs `task` when a slot is free; fails fast with `overloaded` when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T>
  readonly running: number
  readonly waiting: number
}

/**
 * At most `maxConcurrent` tasks at once and `maxQueue` waiting; anything beyond is refused at
 * once, so a flood of logins costs the server memory and CPU only up to a bound.
 */
export function createSemaphore(options: { maxConcurrent: number; maxQueue: number }): Semaphore {
  const { maxConcurrent, maxQueue } = options
  let running = 0
  const queue: (() => void)[] = []

  const release = () => {
    const next = queue.shift()
    if (next === undefined) running--
    else next()
  }

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < maxConcurrent) {
        running++
      } else if (queue.length < maxQueue) {
        await new Promise<void>((resolve) => queue.push(resolve))
      } else {
        throw new AuthError('overloaded', 'Too many password operations in progress', {
          retryAfter: 1,
        })
      }
      try {
        return await task()
      } finally {
        release()
      }
    },
    get running() {
      return running
    },
    get waiting() {
      return queue.length
    },
  }
}
