import type { Clock, Timers } from '../../src/index.ts'

/** A clock that moves only when told to. */
export interface ManualClock extends Clock {
  advance(ms: number): void
  set(epochMs: number): void
}

export function createManualClock(start: number): ManualClock {
  let now = start
  return {
    now: () => now,
    advance(ms) {
      now += ms
    },
    set(epochMs) {
      now = epochMs
    },
  }
}

interface PendingTimer {
  readonly id: number
  readonly at: number
  readonly callback: () => void
}

/**
 * Timers driven by a manual clock: `advance(ms)` moves the clock and runs, in order, every timer
 * that falls due, each at its own instant. Also counts what is pending, so tests can assert that
 * nothing was left scheduled (a timer that would keep a process alive).
 */
export interface FakeTimers extends Timers {
  readonly clock: ManualClock
  advance(ms: number): void
  pending(): readonly { readonly at: number }[]
}

export function createFakeTimers(clock: ManualClock): FakeTimers {
  let nextId = 1
  const timers = new Map<number, PendingTimer>()
  return {
    clock,
    setTimeout(callback, ms) {
      const timer = { id: nextId++, at: clock.now() + Math.max(0, ms), callback }
      timers.set(timer.id, timer)
      return timer.id
    },
    clearTimeout(handle) {
      if (typeof handle === 'number') timers.delete(handle)
    },
    advance(ms) {
      const end = clock.now() + ms
      for (;;) {
        const due = [...timers.values()]
          .filter((timer) => timer.at <= end)
          .sort((a, b) => a.at - b.at || a.id - b.id)[0]
        if (due === undefined) break
        timers.delete(due.id)
        clock.set(Math.max(clock.now(), due.at))
        due.callback()
      }
      clock.set(end)
    },
    pending: () => [...timers.values()].map((timer) => ({ at: timer.at })),
  }
}
