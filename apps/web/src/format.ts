/** Invoice amounts are whole cents on the wire; the server accepts at most this many. */
export const MAX_AMOUNT_CENTS = 100_000_000_000

/**
 * Formats an amount in cents as money, e.g. `123456` → `$1,234.56`.
 *
 * @example
 * ```ts
 * formatMoney(123456, 'en-US') // '$1,234.56'
 * ```
 */
export function formatMoney(cents: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' }).format(cents / 100)
}

/**
 * Parses what a person typed into an amount field (`12`, `12.5`, `1,234.56`) into whole cents,
 * without floating-point arithmetic. Returns `undefined` for anything that is not a positive
 * amount with at most two decimals, or that exceeds what the server accepts.
 */
export function parseAmount(text: string): number | undefined {
  const match = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/.exec(text.trim())
  if (match === null) return undefined
  const whole = (match[1] ?? '').replaceAll(',', '')
  const fraction = (match[2] ?? '').padEnd(2, '0')
  if (whole.length > 12) return undefined
  const cents = Number(whole) * 100 + Number(fraction)
  return cents > 0 && cents <= MAX_AMOUNT_CENTS ? cents : undefined
}

/**
 * How long until `at`, for a countdown: `4:05` (minutes:seconds), `1:02:03` past an hour, or
 * `expired` once `at` has passed.
 */
export function formatCountdown(at: number, now: number): string {
  const left = Math.ceil((at - now) / 1000)
  if (left <= 0) return 'expired'
  const hours = Math.floor(left / 3600)
  const minutes = Math.floor((left % 3600) / 60)
  const seconds = String(left % 60).padStart(2, '0')
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
    : `${minutes}:${seconds}`
}

/** A time of day with seconds (`14:03:27`), in the reader's locale unless one is given. */
export function formatClock(at: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(at)
}

/** A date and time without seconds (`Nov 23, 14:03`), for session lists. */
export function formatDateTime(at: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at)
}

const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Chrome (headless)'],
  [/\b(?:Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bnode\b|\bundici\b/i, 'Node.js'],
  [/\bcurl\//, 'curl'],
]

const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
]

/**
 * A short, human name for a session's device from its `User-Agent`: `Firefox on Windows`,
 * `Chrome (headless) on Linux`, `Node.js`, or `Unknown device`. For display only: a user agent
 * is whatever the client chose to send.
 */
export function describeUserAgent(userAgent: string | null): string {
  if (userAgent === null || userAgent.trim() === '') return 'Unknown device'
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1]
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1]
  if (browser !== undefined && system !== undefined) return `${browser} on ${system}`
  return browser ?? system ?? 'Unknown device'
}
