import type { Clock } from './clock.ts'

/** A {@link Clock} that tests move by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void
  advance(ms: number): void
}

function assertFinite(value: number, name: string): void {
  if (!Number.isFinite(value))
    throw new TypeError(`${name} must be a finite number of milliseconds`)
}

/**
 * A clock that stands still until `set` or `advance` moves it, for tests without sleeps.
 *
 * @throws TypeError for a time that is not a finite number
 * @example
 * const clock = createManualClock(Date.UTC(2025, 0, 1))
 * clock.advance(15 * 60_000)
 */
export function createManualClock(startMs: number): ManualClock {
  assertFinite(startMs, 'startMs')
  let current = startMs
  return {
    now: () => current,
    set(ms) {
      assertFinite(ms, 'ms')
      current = ms
    },
    advance(ms) {
      assertFinite(ms, 'ms')
      current += ms
    },
  }
}
