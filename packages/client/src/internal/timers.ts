import type { Clock, Timers } from '../timers.ts'

/** `Date.now()`. */
export const systemClock: Clock = { now: () => Date.now() }

/** The global timers, unref'd where the runtime supports it so they never keep Node or Bun alive. */
export const systemTimers: Timers = {
  setTimeout(callback, ms) {
    const handle: unknown = globalThis.setTimeout(callback, ms)
    if (typeof handle === 'object' && handle !== null && 'unref' in handle) {
      const unref = handle.unref
      if (typeof unref === 'function') unref.call(handle)
    }
    return handle
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0])
  },
}

// setTimeout fires at once for delays above 2^31 - 1 ms (about 24.8 days) in browsers and Node.
export const MAX_TIMER_DELAY_MS = 2_147_483_647
