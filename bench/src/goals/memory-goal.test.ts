import { describe, expect, it } from 'vitest'

import { createFullGcReader, memoryFigures, type MemoryRun } from './memory-goal.ts'

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

describe('createFullGcReader', () => {
  const request = '{"level":"info","message":"request","path":"/trpc/system.whoami"}'

  it("reads Node's mark-compacts of the busiest isolate, past the skipped requests", () => {
    const reader = createFullGcReader('node', 1)
    for (const line of [
      '[71:0x6e1c000]      512 ms: Mark-Compact 30.1 (33.0) -> 20.5 (31.2) MB, 9.1 / 0.0 ms',
      request,
      '[71:0x6e1c000]     2010 ms: Scavenge 60.2 (70.0) -> 45.1 (70.0) MB, 1.2 / 0.0 ms',
      '[71:0x6e1c000]     3020 ms: Mark-Compact 90.4 (99.1) -> 44.4 (60.2) MB, 20.1 / 0.0 ms',
      '[71:0x7f00a000]    3100 ms: Mark-Compact 8.0 (9.0) -> 4.2 (9.0) MB, 2.0 / 0.0 ms',
      '[71:0x6e1c000]     4020 ms: Mark-Compact 91.0 (99.1) -> 45.2 (60.2) MB, 20.3 / 0.0 ms',
    ]) {
      reader.visit(line)
    }
    expect(reader.result()).toEqual([44.4, 45.2])
  })

  it("reads Bun's full collections, logged over several lines, and not its eden ones", () => {
    const reader = createFullGcReader('bun', 1)
    for (const line of [
      '[GC<0x5cd6>: START M 10728kb => FullCollection, a=0kb o=0 b=999 p=0.95ms (max 1.6)...]',
      '[GC<0x5cd6>: M a=0kb v=4776kb (C:2417 M:0 P1:2359) => 7035kb, p=1.5ms (max 1.6), END]',
      request,
      '[GC<0x5cd6>: START M 144216kb => EdenCollection, a=0kb v=0kb (C:0 M:0) p=0.9ms...]',
      '[GC<0x5cd6>: M a=10kb v=3kb (C:3 M:0 P1:0) => 94656kb, p=3.3ms (max 10.7), cycle 3.3ms END]',
      '[GC<0x5cd6>: START M 150000kb => FullCollection, a=0kb v=0kb (C:0 M:0) p=1.0ms (max 3.2)...]',
      request,
      '[GC<0x5cd6>: M a=244kb v=2545kb (C:470 M:0 P1:2075) o=2 b=18 p=0.9ms (max 3.2)...]',
      '[GC<0x9a00>: START M 9000kb => FullCollection, a=0kb => 3072kb, p=0.5ms (max 0.5) END]',
      '[GC<0x5cd6>: M a=406kb v=4703kb (C:1826 M:0) => 34816kb, p=0.8ms (max 3.2), END]',
      '[GC<0x5cd6>: Full sweep: 33376kb => 496kb, 0.444426ms]',
      '[GC<0x5cd6>: START M 152000kb => FullCollection, a=0kb => 35840kb, p=1.1ms (max 3.2) END]',
    ]) {
      reader.visit(line)
    }
    expect(reader.result()).toEqual([34, 35])
  })
})
