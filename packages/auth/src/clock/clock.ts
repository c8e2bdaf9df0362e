export interface Clock {
  /** Epoch milliseconds. */
  now(): number
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() })
