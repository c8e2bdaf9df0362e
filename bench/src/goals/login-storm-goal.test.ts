import { describe, expect, it } from 'vitest'

import type { Contention } from '../cpu-contention.ts'
import {
  contentionTable,
  floorComparison,
  handlerTimes,
  stormFigures,
  type StormRun,
} from './login-storm-goal.ts'

const window = (serverWaitMsPerSec: number, machineBusy: number): Contention => ({
  serverRunMsPerSec: 100,
  serverWaitMsPerSec,
  probeWaitMsPerSec: 10,
  machineBusy,
})

const run = (
  contention: {
    rest: (Contention | undefined)[]
    storm: (Contention | undefined)[]
  },
  handler: Partial<StormRun> = {},
): StormRun => ({
  runtime: 'node',
  server: 'warden',
  ips: 'single',
  pooledRestP99Ms: 1.5,
  pooledStormP99Ms: 7.25,
  restP99Ms: [],
  stormP99Ms: [],
  restP50Ms: [],
  stormP50Ms: [],
  handlerRestP99Ms: 0.4,
  handlerStormP99Ms: 2.5,
  whoamiNon200: 0,
  restCores: [],
  stormCores: [],
  stormProcessCores: [0.5, 0.8, 0.7],
  restContention: contention.rest,
  stormContention: contention.storm,
  logins: { total: 0, byStatus: {}, maxMsByStatus: {}, failed: 0 },
  ...handler,
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
      '| node, one IP | 1.5 → 7.25 | 0.4 → 2.5 | 100 → 100 | 20 → 650 | 10 → 10 | 0.05 → 0.9 | 0.7 |',
    )
  })

  it('shows a dash where the server logged no handler times', () => {
    const table = contentionTable([
      run(
        { rest: [window(30, 0.05)], storm: [window(600, 0.9)] },
        { handlerStormP99Ms: undefined },
      ),
    ])
    expect(table?.split('\n')[2]).toBe(
      '| node, one IP | 1.5 → 7.25 | – | 100 → 100 | 30 → 600 | 10 → 10 | 0.05 → 0.9 | 0.7 |',
    )
  })

  it('leaves out runs without the kernel figures, and is undefined with none', () => {
    expect(contentionTable([run({ rest: [undefined], storm: [undefined] })])).toBeUndefined()
  })
})

describe('stormFigures', () => {
  it('holds Warden to 3× and reports the floor for information only', () => {
    const contention = { rest: [], storm: [] }
    const figures = stormFigures([
      run(contention, { ips: 'distinct' }),
      run(contention, { server: 'floor', ips: 'distinct', pooledStormP99Ms: 3 }),
    ])
    expect(figures.map((f) => [f.name, f.value, f.target?.value, f.holds])).toEqual([
      ['whoami p99 during the login storm / at rest, distinct IPs', 4.83, 3, false],
      ['logins without an answer, distinct IPs', 0, 0, true],
      [
        'floor: a bare HTTP server with the same password hasher, p99 during the storm / at rest, distinct IPs',
        2,
        undefined,
        undefined,
      ],
    ])
  })
})

describe('floorComparison', () => {
  it("sets Warden's storm p99 against the floor's, per runtime", () => {
    const contention = { rest: [], storm: [] }
    const floor = {
      server: 'floor',
      ips: 'distinct',
      pooledRestP99Ms: 1,
      pooledStormP99Ms: 4,
    } as const
    expect(
      floorComparison([
        run(contention, { ips: 'distinct', pooledRestP99Ms: 2, pooledStormP99Ms: 7 }),
        run(contention, { ips: 'single' }),
        run(contention, floor),
        run(contention, { runtime: 'bun', ips: 'distinct', pooledStormP99Ms: 3 }),
        run(contention, { ...floor, runtime: 'bun' }),
      ]),
    ).toBe(
      "Against the floor (logins from distinct IPs, p99 at rest → in the storm): node: Warden 2 → 7 ms (3.5×), the floor 1 → 4 ms (4×), so Warden's p99 in the storm is +3 ms from the floor's; bun: Warden 1.5 → 3 ms (2×), the floor 1 → 4 ms (4×), so Warden's p99 in the storm is −1 ms from the floor's.",
    )
  })

  it('is undefined without a floor run', () => {
    expect(floorComparison([run({ rest: [], storm: [] })])).toBeUndefined()
  })
})

describe('handlerTimes', () => {
  const at = (iso: string) => Date.parse(iso)
  const line = (fields: Record<string, unknown>) =>
    JSON.stringify({ level: 'info', message: 'request', method: 'GET', status: 200, ...fields })
  const whoami = '/trpc/system.whoami'

  it('keeps the handler times of the path answered within a span, edges included', () => {
    const lines = [
      line({ time: '2026-11-24T10:00:00.999Z', path: whoami, ms: 9 }),
      line({ time: '2026-11-24T10:00:01.000Z', path: whoami, ms: 0.3 }),
      line({ time: '2026-11-24T10:00:02.500Z', path: whoami, ms: 1.2 }),
      line({ time: '2026-11-24T10:00:03.000Z', path: whoami, ms: 0.5 }),
      line({ time: '2026-11-24T10:00:03.001Z', path: whoami, ms: 7 }),
      line({ time: '2026-11-24T10:00:05.000Z', path: whoami, ms: 4.4 }),
    ]
    const spans = [
      { from: at('2026-11-24T10:00:01.000Z'), to: at('2026-11-24T10:00:03.000Z') },
      { from: at('2026-11-24T10:00:04.000Z'), to: at('2026-11-24T10:00:06.000Z') },
    ]
    expect(handlerTimes(lines, whoami, spans)).toEqual([0.3, 1.2, 0.5, 4.4])
  })

  it('skips other paths, other messages and lines that are not JSON request lines', () => {
    const time = '2026-11-24T10:00:02.000Z'
    const lines = [
      line({ time, path: '/trpc/auth.login', ms: 30 }),
      line({ time, path: `${whoami}x`, ms: 30 }),
      line({ time, path: whoami, ms: 30, message: 'warden listening' }),
      line({ time, path: whoami, ms: '30' }),
      line({ path: whoami, ms: 30 }),
      `not json ${whoami}`,
      line({ time, path: whoami, ms: 0.25 }),
    ]
    const spans = [{ from: at('2026-11-24T10:00:00.000Z'), to: at('2026-11-24T10:00:09.000Z') }]
    expect(handlerTimes(lines, whoami, spans)).toEqual([0.25])
  })
})
