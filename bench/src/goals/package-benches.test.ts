import { describe, expect, it } from 'vitest'

import { refreshFigures, verifyFigures } from './package-benches.ts'

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
  const measurement = (rotationInRoundTrips: number, concurrentPerSecond: number) => ({
    selectOneMs: 0.1,
    insertMs: 0.3,
    rotationMs: rotationInRoundTrips / 10,
    rotationInRoundTrips,
    sequentialPerSecond: 1000,
    concurrentPerSecond,
  })

  it('holds PostgreSQL to the goals and shows the other backends for information', () => {
    const figures = refreshFigures({
      pkg: 'db',
      seconds: 1,
      report: {
        results: {
          pglite: measurement(9, 10),
          postgres: measurement(3.5, 1500),
          'postgres, synchronous_commit=off (diagnostic)': measurement(1.2, 5000),
        },
      },
    })
    expect(figures.map((f) => [f.name, f.value, f.holds])).toEqual([
      ['refresh rotation in database round trips, pglite', 9, undefined],
      ['refresh rotations/s with 10 concurrent clients, pglite', 10, undefined],
      ['refresh rotation in database round trips, postgres', 3.5, false],
      ['refresh rotations/s with 10 concurrent clients, postgres', 1500, true],
      [
        'refresh rotation in database round trips, postgres, synchronous_commit=off (diagnostic)',
        1.2,
        undefined,
      ],
      [
        'refresh rotations/s with 10 concurrent clients, postgres, synchronous_commit=off (diagnostic)',
        5000,
        undefined,
      ],
    ])
    expect(figures[2]?.detail).toMatchObject({
      'one-row INSERT ms': 0.3,
      'one-row INSERT in round trips': 3,
    })
  })

  it('gives nothing for a report it does not recognise', () => {
    expect(refreshFigures({ pkg: 'db', seconds: 1, report: { results: { x: 1 } } })).toEqual([])
  })
})
