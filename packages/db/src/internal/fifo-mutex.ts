/**
 * A first-in, first-out mutex: waiters get the lock in the order they asked for it, so a burst
 * of queries on the single PGlite connection cannot starve an earlier transaction.
 */
export class FifoMutex {
  #locked = false
  readonly #waiters: (() => void)[] = []

  /** Resolves once the caller holds the lock. */
  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve)
    })
  }

  /** Hands the lock to the next waiter, or frees it. */
  unlock(): void {
    if (!this.#locked) throw new Error('FifoMutex.unlock() called while unlocked')
    const next = this.#waiters.shift()
    if (next) next()
    else this.#locked = false
  }

  /** Runs `fn` while holding the lock. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.lock()
    try {
      return await fn()
    } finally {
      this.unlock()
    }
  }

  get locked(): boolean {
    return this.#locked
  }
}
