/**
 * A lane for work that may wait, so that it does not delay the requests that should not: password
 * work (argon2id), which a storm of logins brings in waves of hundreds. Each caller gets its turn
 * in a later turn of the event loop, one per turn, in order; between two turns the runtime reads
 * the I/O that arrived meanwhile, so a `system.whoami` that comes in during a wave of 200 logins
 * is answered after the one login that runs, not after all of them.
 *
 * A turn only starts the work: what it awaits (a query, the hasher) continues at normal
 * priority. For a refused login (429 from its IP's queue, 503 from the hasher's admission) that
 * is the whole request, and those are most of a storm.
 */
export function createLowPriorityLane() {
  const waiting: (() => void)[] = []
  let scheduled = false
  const next = () => {
    const start = waiting.shift()
    if (waiting.length > 0) setImmediate(next)
    else scheduled = false
    start?.()
  }
  return {
    /** Resolves in a later turn of the event loop, after the callers that asked before. */
    turn(): Promise<void> {
      return new Promise((resolve) => {
        waiting.push(resolve)
        if (!scheduled) {
          scheduled = true
          setImmediate(next)
        }
      })
    },
    /** Callers waiting for their turn. */
    get waiting(): number {
      return waiting.length
    },
  }
}

export type LowPriorityLane = ReturnType<typeof createLowPriorityLane>
