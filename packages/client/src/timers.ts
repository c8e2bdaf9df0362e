/** Something that tells the time: epoch milliseconds (`{ now: () => Date.now() }`). */
export interface Clock {
  now(): number
}

/**
 * A timer API: the global one by default (unref'd where the runtime allows, so a pending
 * refresh never keeps Node or Bun alive), or a fake in tests.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}
