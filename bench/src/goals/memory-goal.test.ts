import { describe, expect, it } from 'vitest'

import { memoryFigures, type MemoryRun } from './memory-goal.ts'

const run = (meanRssMbPerBlock: number[], liveHeapMbAfterFullGc: number[]): MemoryRun => ({
  runtime: 'node',
  rssMbAfterBlock: meanRssMbPerBlock,
  meanRssMbPerBlock,
  peakRssMb: Math.max(...meanRssMbPerBlock),
  liveHeapMbAfterFullGc,
  requests: 1_000_000,
  seconds: 60,
})

const byName = (figures: ReturnType<typeof memoryFigures>) =>
  Object.fromEntries(figures.map((f) => [f.name, f.value]))

describe('memoryFigures', () => {
  it('compares the mean RSS of the second block with the last', () => {
    const figures = byName(memoryFigures([run([120, 150, 170, 160], [])]))
    expect(figures['RSS after the last block']).toBe(160)
    expect(figures['mean RSS growth, second block → last block']).toBe(0.067)
  })

  it('compares the live heap after the last full GCs with the first, from two of them', () => {
    const name = 'live heap after full GCs, last third / first third'
    expect(byName(memoryFigures([run([100, 100], [40, 44])]))[name]).toBe(1.1)
    expect(byName(memoryFigures([run([100, 100], [40, 41, 42, 43, 44, 48])]))[name]).toBe(1.136)
    expect(byName(memoryFigures([run([100, 100], [40])]))).not.toHaveProperty(name)
  })
})
