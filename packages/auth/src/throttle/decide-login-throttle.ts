/** Recent login failures, for {@link decideLoginThrottle}. */
export interface LoginThrottleInput {
  /** Epoch milliseconds. */
  now: number
  /** Failure timestamps (epoch ms, ascending) for this account from this IP. */
  pairFailures: readonly number[]
  /** Failure timestamps for this account from any IP. */
  accountFailures: readonly number[]
  /** Failure timestamps from this IP for any account. */
  ipFailures: readonly number[]
}

/** The numbers of {@link decideLoginThrottle}. */
export interface LoginThrottleOptions {
  /** Default 15 minutes. */
  windowMs?: number | undefined
  /** Failures of one account+IP pair that block that pair; default 5. */
  pairLimit?: number | undefined
  /** Failures of one account after which back-off starts; default 5. */
  accountThreshold?: number | undefined
  /** First back-off step; default 1 second, doubling per further failure. */
  accountBaseDelayMs?: number | undefined
  /** Longest back-off; default 15 minutes. */
  accountMaxDelayMs?: number | undefined
  /** Failures from one IP that block it; default 100. */
  ipLimit?: number | undefined
}

/** Whether a login may go ahead; when not, for how many whole seconds and why. */
export type LoginThrottleDecision =
  { allowed: true } | { allowed: false; retryAfter: number; scope: 'pair' | 'account' | 'ip' }

const MINUTE = 60_000

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback
  if (!Number.isSafeInteger(result) || result < 1)
    throw new TypeError(`${name} must be a positive integer`)
  return result
}

/** Failures still inside the window, oldest first. */
function recent(failures: readonly number[], now: number, windowMs: number): number[] {
  return failures.filter((at) => at > now - windowMs && at <= now).sort((a, b) => a - b)
}

/** When the limit-th latest failure leaves the window, if there are that many. */
function blockedUntilOldestLeaves(failures: readonly number[], limit: number, windowMs: number) {
  const pivot = failures[failures.length - limit]
  return failures.length >= limit && pivot !== undefined ? pivot + windowMs : undefined
}

/**
 * Whether a login attempt may go ahead, from recent failures. Pure: the caller loads the
 * failures and records the outcome. Three scopes, the longest block wins:
 * - pair (account + IP): blocked at `pairLimit` failures until the oldest of those leaves the
 *   window; this is what stops guessing one account from one place;
 * - account (any IP): an exponential back-off from the last failure, capped, so that an attacker
 *   spraying from many IPs is slowed down without being able to lock the owner out for long;
 * - IP (any account): blocked at `ipLimit` failures, against credential stuffing.
 *
 * @throws TypeError for a non-finite `now` or options that are not positive integers
 */
export function decideLoginThrottle(
  input: LoginThrottleInput,
  options: LoginThrottleOptions = {},
): LoginThrottleDecision {
  const { now } = input
  if (!Number.isFinite(now)) throw new TypeError('now must be epoch milliseconds')
  const windowMs = positiveInteger(options.windowMs, 15 * MINUTE, 'windowMs')
  const pairLimit = positiveInteger(options.pairLimit, 5, 'pairLimit')
  const accountThreshold = positiveInteger(options.accountThreshold, 5, 'accountThreshold')
  const baseDelayMs = positiveInteger(options.accountBaseDelayMs, 1000, 'accountBaseDelayMs')
  const maxDelayMs = positiveInteger(options.accountMaxDelayMs, 15 * MINUTE, 'accountMaxDelayMs')
  const ipLimit = positiveInteger(options.ipLimit, 100, 'ipLimit')

  const blocks: { until: number | undefined; scope: 'pair' | 'account' | 'ip' }[] = []
  blocks.push({
    scope: 'pair',
    until: blockedUntilOldestLeaves(recent(input.pairFailures, now, windowMs), pairLimit, windowMs),
  })
  const account = recent(input.accountFailures, now, windowMs)
  const last = account.at(-1)
  if (account.length >= accountThreshold && last !== undefined) {
    const delay = Math.min(baseDelayMs * 2 ** (account.length - accountThreshold), maxDelayMs)
    blocks.push({ scope: 'account', until: last + delay })
  }
  blocks.push({
    scope: 'ip',
    until: blockedUntilOldestLeaves(recent(input.ipFailures, now, windowMs), ipLimit, windowMs),
  })

  let longest: { until: number; scope: 'pair' | 'account' | 'ip' } | undefined
  for (const { until, scope } of blocks) {
    if (until !== undefined && until > now && (longest === undefined || until > longest.until)) {
      longest = { until, scope }
    }
  }
  if (longest === undefined) return { allowed: true }
  return {
    allowed: false,
    retryAfter: Math.max(1, Math.ceil((longest.until - now) / 1000)),
    scope: longest.scope,
  }
}
