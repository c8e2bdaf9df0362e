import { describe, expect, it } from 'vitest'

import { numericFields, refreshFigures, verifyFigures } from './package-benches.ts'

describe('numericFields', () => {
  it('flattens every number of a JSON value by its dotted path', () => {
    expect(numericFields({ a: 1, b: { c: [2, 'x'], d: true } })).toEqual([
      ['a', 1],
      ['b.c.0', 2],
    ])
  })
})

describe('verifyFigures', () => {
  it('reads the auth benchmark report: miss cost against its goal, per algorithm', () => {
    const figures = verifyFigures({
      pkg: 'auth',
      seconds: 1,
      report: {
        runtime: 'node v20',
        results: [
          {
            alg: 'EdDSA',
            opsPerSecond: { raw: 100, miss: 80, hit: 1e6, jose: 50 },
            costVsRaw: { miss: 1.25, hit: 0.0001, jose: 2 },
            goal: 1.3,
          },
          {
            alg: 'RS256',
            opsPerSecond: { raw: 100, miss: 50, hit: 1e6, jose: 50 },
            costVsRaw: { miss: 2, hit: 0.0001, jose: 2 },
          },
        ],
      },
    })
    expect(figures.map((f) => [f.name, f.value, f.holds])).toEqual([
      ['verify on a cache miss / raw node:crypto, EdDSA', 1.25, true],
      ['verify on a cache miss / raw node:crypto, RS256', 2, undefined],
    ])
  })

  it('gives nothing for a report it does not recognise', () => {
    expect(verifyFigures({ pkg: 'auth', seconds: 1, report: { results: 'nope' } })).toEqual([])
  })
})

describe('refreshFigures', () => {
  it('finds round trips and rates by name, preferring PostgreSQL entries', () => {
    const figures = refreshFigures({
      pkg: 'db',
      seconds: 1,
      report: {
        pglite: { roundTrips: 9, concurrent10: { perSecond: 10 } },
        postgres: { roundTrips: 2.4, concurrent10: { perSecond: 1500 } },
      },
    })
    expect(figures.map((f) => [f.name, f.value, f.holds])).toEqual([
      ['refresh time in database round trips (postgres.roundTrips)', 2.4, true],
      ['refreshes per second (postgres.concurrent10.perSecond)', 1500, true],
    ])
  })
})
