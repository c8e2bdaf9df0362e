/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Runs each side once per round, in an order that rotates every round (A B C, B C A, …), so that
 * no side always runs first or last; returns every sample of every side.
 */
export async function alternate<K extends string>(
  sides: readonly K[],
  rounds: number,
  measure: (side: K, round: number) => Promise<number>,
): Promise<Record<K, number[]>> {
  const samples = Object.fromEntries(sides.map((side) => [side, [] as number[]])) as Record<
    K,
    number[]
  >
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + round) % sides.length]!
      samples[side].push(await measure(side, round))
    }
  }
  return samples
}

/** Each side's median. */
export function medians<K extends string>(samples: Record<K, number[]>): Record<K, number> {
  return Object.fromEntries(
    Object.entries<number[]>(samples).map(([side, values]) => [side, median(values)]),
  ) as Record<K, number>
}

/** A figure rounded to `digits` significant decimals, for the records. */
export function round(value: number, digits = 3): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}
