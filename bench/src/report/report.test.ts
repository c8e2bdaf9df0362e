import { describe, expect, it } from 'vitest'

import { figure, type GoalResult } from '../results.ts'
import { chartedFigures, ratiosSvg } from './ratios-svg.ts'
import { resultsMarkdown, type RunInfo } from './results-markdown.ts'

const goals: GoalResult[] = [
  {
    id: 'Goal 1',
    title: 'protected ≈ public',
    figures: [
      figure({
        name: 'whoami / info',
        runtime: 'node',
        value: 0.95,
        unit: '× req/s',
        target: { op: '>=', value: 0.9 },
        detail: { samples: [1, 2] },
      }),
      figure({ name: 'miss / info', runtime: 'node', value: 0.4, unit: '× req/s' }),
    ],
    notes: ['A note | with a pipe.'],
  },
  {
    id: 'Goal 5',
    title: 'storm',
    figures: [
      figure({
        name: 'p99 ratio',
        runtime: 'bun',
        value: 4,
        unit: '×',
        target: { op: '<=', value: 3 },
      }),
      figure({ name: 'peak RSS', value: 100, unit: 'MB', target: { op: '<=', value: 250 } }),
    ],
    notes: [],
  },
  { id: 'Goal 4', title: 'refresh', figures: [], notes: [], error: 'no benchmark' },
]

const run: RunInfo = {
  date: '2026-11-23T12:00:00.000Z',
  quick: false,
  seconds: 300,
  steps: [
    { name: 'auth core', seconds: 40 },
    { name: 'throughput', seconds: 260 },
  ],
  machine: { cpu: 'CPU', cores: 2, memoryGb: 8, loadBefore: [0.5, 1, 1], loadAfter: [1, 1, 1] },
  versions: { node: 'v20', bun: 'v1' },
  method: ['measured carefully'],
}

describe('ratiosSvg', () => {
  it('draws one bar and one goal tick per ratio with a target, coloured by its verdict', () => {
    expect(chartedFigures(goals).map((row) => row.figure.name)).toEqual([
      'whoami / info',
      'p99 ratio',
    ])
    const svg = ratiosSvg(goals, 'caption')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<rect x="330"/g)).toHaveLength(2)
    expect(svg.match(/<line /g)).toHaveLength(2)
    expect(svg).toContain('fill="#2e9d5b"')
    expect(svg).toContain('fill="#d14b3f"')
    expect(svg).toContain('0.95 × req/s (≥ 0.9)')
  })
})

describe('resultsMarkdown', () => {
  it('summarises every goal and tabulates every figure', () => {
    const md = resultsMarkdown(run, goals)
    expect(md).toContain('| Goal 1: protected ≈ public | ✓ |')
    expect(md).toContain('| Goal 5: storm | ✗ |')
    expect(md).toContain('| Goal 4: refresh | not measured: no benchmark |')
    expect(md).toContain('| whoami / info | node | 0.95 × req/s | ≥ 0.9 | ✓ | samples: [1, 2] |')
    expect(md).toContain('| miss / info | node | 0.4 × req/s | info | – |  |')
    expect(md).toContain('A note | with a pipe.')
    expect(md).toContain('load average (1, 5, 15 min) 0.5, 1, 1 before')
    expect(md).toContain('300 s in all (auth core 40 s, throughput 260 s)')
  })
})
