import type { Clock } from '../timers.ts'

/** The server's time as this device estimates it from `Date` response headers. */
export interface ServerClock {
  /** Now, in epoch milliseconds on the server's clock. */
  now(): number
  /** Takes a `Date` header value (RFC 9110 §6.6.1 IMF-fixdate); ignores anything unparsable. */
  observe(dateHeader: string | null): void
}

/**
 * Keeps the offset between the server's clock and `clock`. A `Date` header has whole-second
 * resolution, so a sample says the server's time lies within [Date, Date + 1 s): the midpoint is
 * kept, and a new sample replaces it only when it falls outside that uncertainty, so that
 * responses crossing a second boundary do not make the estimate jitter. `onShift` is told when
 * the estimate moves by more than a second (including from the initial guess of no offset).
 */
export function createServerClock(clock: Clock, onShift?: () => void): ServerClock {
  let offset: number | undefined
  return {
    now: () => clock.now() + (offset ?? 0),
    observe(dateHeader) {
      if (dateHeader === null) return
      const serverTime = Date.parse(dateHeader)
      if (!Number.isFinite(serverTime)) return
      const sample = serverTime + 500 - clock.now()
      // Two samples of a steady clock are less than 1 s apart; more means the estimate is wrong
      // (first sample, or a clock that jumped on either side).
      if (offset !== undefined && Math.abs(sample - offset) <= 1000) return
      const moved = Math.abs(sample - (offset ?? 0)) > 1000
      offset = sample
      if (moved) onShift?.()
    },
  }
}
