import { describe, expect, it } from 'vitest'

import type { Contention } from '../cpu-contention.ts'
import { contentionTable, type StormRun } from './login-storm-goal.ts'

const window = (serverWaitMsPerSec: number, machineBusy: number): Contention => ({
  serverRunMsPerSec: 100,
  serverWaitMsPerSec,
  probeWaitMsPerSec: 10,
  machineBusy,
})

const run = (contention: {
  rest: (Contention | undefined)[]
  storm: (Contention | undefined)[]
}): StormRun => ({
  runtime: 'node',
  ips: 'single',
  pooledRestP99Ms: 1.5,
  pooledStormP99Ms: 7.25,
  restP99Ms: [],
  stormP99Ms: [],
  restP50Ms: [],
  stormP50Ms: [],
  whoamiNon200: 0,
  restCores: [],
  stormCores: [],
  stormProcessCores: [0.5, 0.8, 0.7],
  restContention: contention.rest,
  stormContention: contention.storm,
  logins: { total: 0, byStatus: {}, maxMsByStatus: {}, failed: 0 },
})

describe('contentionTable', () => {
  it('gives the medians of the rounds, at rest → in the storm', () => {
    const table = contentionTable([
      run({
        rest: [window(30, 0.05), window(10, 0.04), window(20, 0.06)],
        storm: [window(600, 0.9), window(700, 0.95), window(650, 0.85)],
      }),
    ])
    expect(table?.split('\n')[2]).toBe(
      '| node, one IP | 1.5 → 7.25 | 100 → 100 | 20 → 650 | 10 → 10 | 0.05 → 0.9 | 0.7 |',
    )
  })

  it('leaves out runs without the kernel figures, and is undefined with none', () => {
    expect(contentionTable([run({ rest: [undefined], storm: [undefined] })])).toBeUndefined()
  })
})
