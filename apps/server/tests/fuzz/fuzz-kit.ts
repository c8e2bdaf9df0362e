import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import fc from 'fast-check'

/**
 * Runs per property: the given default under `pnpm test`, or `FUZZ_RUNS` for a longer session
 * (`pnpm --filter @warden/server fuzz:long`).
 */
export function fuzzRuns(fallback: number): number {
  const configured = Number(process.env['FUZZ_RUNS'])
  return Number.isSafeInteger(configured) && configured > 0 ? configured : fallback
}

/** A test timeout that grows with the runs: `msPerRun` each, never under 30 s. */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return Math.max(30_000, runs * msPerRun)
}

/** A character a header value may hold (RFC 9110 field-vchar, SP, HTAB, obs-text). */
export const headerChar = fc.oneof(
  fc.constant('\t'),
  fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)),
)

/** Any value `Headers` accepts. */
export const headerValue = (maxLength = 200) => fc.string({ unit: headerChar, maxLength })

/** base64url text, as tokens are made of. */
export const base64urlText = (maxLength = 80) =>
  fc.string({
    unit: fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split(''),
    ),
    maxLength,
  })

/**
 * A garbage collector to call before reading `heapUsed`, so the bound is on what is retained,
 * not on what has not been collected yet.
 */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc')
  const gc: unknown = runInNewContext('gc')
  if (typeof gc !== 'function') throw new Error('gc is not available')
  return () => {
    ;(gc as () => void)()
  }
}

/** Heap in use after a full collection, in MiB. */
export function retainedHeapMiB(gc: () => void): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}
