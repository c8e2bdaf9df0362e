/**
 * Runs tasks one at a time per key, with a bounded number waiting and, optionally, a bounded
 * wait. Used to serialise the login attempts of one client IP inside this instance, so that
 * concurrent attempts (a batch of 100 `auth.login` calls) each see the failures recorded by the
 * ones before them.
 */
export function createKeyedQueue(options: { maxWaiting: number; maxWaitMs?: number | undefined }) {
  const { maxWaiting, maxWaitMs } = options
  const lanes = new Map<string, { waiters: (() => void)[] }>()

  return {
    /**
     * Runs `task` after the earlier tasks of `key`; `undefined` when too many already wait, or
     * when the earlier tasks did not finish within `maxWaitMs` (a slow database would otherwise
     * make the last of them wait for all the others' time-outs in turn).
     */
    async run<T>(key: string, task: () => Promise<T>): Promise<{ value: T } | undefined> {
      let lane = lanes.get(key)
      if (lane) {
        if (lane.waiters.length >= maxWaiting) return undefined
        const { waiters } = lane
        const admitted = await new Promise<boolean>((resolve) => {
          const start = () => {
            clearTimeout(timer)
            resolve(true)
          }
          const timer =
            maxWaitMs === undefined
              ? undefined
              : setTimeout(() => {
                  const index = waiters.indexOf(start)
                  if (index !== -1) waiters.splice(index, 1)
                  resolve(false)
                }, maxWaitMs)
          timer?.unref()
          waiters.push(start)
        })
        if (!admitted) return undefined
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
