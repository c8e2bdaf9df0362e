/**
 * Per-key token buckets in memory: `burst` requests at once, refilled at `perSecond`. Bounded:
 * the oldest idle buckets are dropped beyond `maxKeys`, so random keys cannot exhaust memory.
 */
export function createRateLimiter(options: {
  perSecond: number
  burst: number
  maxKeys?: number
  now: () => number
}) {
  const buckets = new Map<string, { tokens: number; at: number }>()
  const maxKeys = options.maxKeys ?? 10_000
  return {
    /** Takes one token; returns 0 when allowed, else the seconds until one is available. */
    take(key: string): number {
      const now = options.now()
      const bucket = buckets.get(key) ?? { tokens: options.burst, at: now }
      bucket.tokens = Math.min(
        options.burst,
        bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond,
      )
      bucket.at = now
      buckets.delete(key)
      buckets.set(key, bucket)
      if (buckets.size > maxKeys) {
        const oldest = buckets.keys().next()
        if (!oldest.done) buckets.delete(oldest.value)
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return 0
      }
      return Math.ceil((1 - bucket.tokens) / options.perSecond)
    },
  }
}
