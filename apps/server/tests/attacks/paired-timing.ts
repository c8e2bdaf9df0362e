import { expect } from 'vitest'

export interface SameTimeOptions {
  /** What is compared, for the failure message: `probe − reference`. */
  readonly what: string
  /** Timed pairs (the warm-up comes on top). */
  readonly pairs: number
  /** Untimed pairs first: lazily built state (the dummy hash) and the JIT settle. */
  readonly warmup: number
  /** One attempt of each kind; `index` is distinct per attempt of a kind, negative in warm-up. */
  readonly probe: (index: number) => Promise<unknown>
  readonly reference: (index: number) => Promise<unknown>
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2
}

async function elapsed(attempt: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await attempt()
  return performance.now() - started
}

/**
 * Asserts that two kinds of attempt take the same time, by the clock, on a machine that may be
 * busy with other work. Attempts come in pairs, one of each kind next to each other in time,
 * their order alternating, and the median of the pairs' differences must be under 10 % of the
 * median attempt. Pairing cancels load that comes and goes over seconds; comparing each kind's
 * own median does not, since one burst of load over a few attempts of one kind moves it.
 *
 * The comparison means something only if the attempts do real password work: the median attempt
 * must take more than 5 ms (argon2id at its real parameters), not the microseconds of a lookup.
 */
export async function expectSameTime(options: SameTimeOptions): Promise<void> {
  const { pairs, probe, reference } = options
  for (let index = -1; index >= -options.warmup; index -= 1) {
    await probe(index)
    await reference(index)
  }
  const times: number[] = []
  const differences: number[] = [] // probe − reference, per pair
  for (let index = 0; index < pairs; index += 1) {
    const probeFirst = index % 2 === 0
    const first = await elapsed(() => (probeFirst ? probe(index) : reference(index)))
    const second = await elapsed(() => (probeFirst ? reference(index) : probe(index)))
    times.push(first, second)
    differences.push((first - second) * (probeFirst ? 1 : -1))
  }
  const typical = median(times)
  const shift = median(differences)
  expect(
    Math.abs(shift) / typical,
    `${options.what}, median of ${pairs} pairs: ${shift.toFixed(2)} ms; median attempt ${typical.toFixed(1)} ms`,
  ).toBeLessThan(0.1)
  expect(typical).toBeGreaterThan(5)
}
