/**
 * Runs tasks one at a time per key, with a bounded number waiting. Used to serialise the login
 * attempts of one client IP inside this instance, so that concurrent attempts (a batch of 100
 * `auth.login` calls) each see the failures recorded by the ones before them.
 */
export function createKeyedQueue(options: { maxWaiting: number }) {
  const lanes = new Map<string, { waiters: (() => void)[] }>()

  return {
    /** Runs `task` after the earlier tasks of `key`; `undefined` when too many already wait. */
    async run<T>(key: string, task: () => Promise<T>): Promise<{ value: T } | undefined> {
      let lane = lanes.get(key)
      if (lane) {
        if (lane.waiters.length >= options.maxWaiting) return undefined
        const { waiters } = lane
        await new Promise<void>((resolve) => waiters.push(resolve))
      } else {
        lane = { waiters: [] }
        lanes.set(key, lane)
      }
      try {
        return { value: await task() }
      } finally {
        // Hand the lane straight to the next waiter, or close it.
        const next = lane.waiters.shift()
        if (next) next()
        else lanes.delete(key)
      }
    },
    /** Keys with a task running (for tests). */
    get size() {
      return lanes.size
    },
  }
}
