import type { Clock } from './clock.ts'

export interface ManualClock extends Clock {
  set(ms: number): void
  advance(ms: number): void
}

function assertFinite(value: number, name: string): void {
  if (!Number.isFinite(value))
    throw new TypeError(`${name} must be a finite number of milliseconds`)
}

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
