/** The source of time that every Warden package takes instead of reading `Date.now()`. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
}

/** The real clock: `Date.now()`. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() })
