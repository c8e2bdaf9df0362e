import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { describe, expect, it } from 'vitest'

import { measureLatencyAtRate, measureThroughput, percentile } from './load.ts'

describe('percentile', () => {
  it('is the nearest-rank percentile of a sorted list', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 99)).toBe(99)
    expect(percentile(values, 100)).toBe(100)
    expect(percentile([5], 99)).toBe(5)
    expect(percentile([], 99)).toBeNaN()
  })
})

describe('measureThroughput', () => {
  it('lasts its duration, not up to autocannon’s next whole second, and counts what it got', async () => {
    let answered = 0
    const server = createServer((_request, response) => {
      answered++
      response.end('{}')
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      const from = performance.now()
      const sample = await measureThroughput({
        url: `http://127.0.0.1:${port}`,
        path: '/',
        durationSec: 0.2,
      })
      // At autocannon's default sampling, the run would end at its first tick, after 1 s.
      expect(performance.now() - from).toBeLessThan(900)
      expect(sample.requests).toBeGreaterThan(0)
      expect(sample.requests).toBeLessThanOrEqual(answered)
      // The rate is per second of the run itself: the run lasted its 0.2 s, give or take a tick.
      const runSeconds = sample.requests / sample.rps
      expect(runSeconds).toBeGreaterThanOrEqual(0.19)
      expect(runSeconds).toBeLessThanOrEqual(0.35)
    } finally {
      server.close()
    }
  })
})

describe('measureLatencyAtRate', () => {
  it('spreads its requests evenly, and a stalled answer neither delays the next ones nor hides', async () => {
    const arrivals: number[] = []
    const server = createServer((request, response) => {
      arrivals.push(performance.now())
      // The 20th request stalls for 150 ms; every other is answered at once.
      const stall = arrivals.length === 20 ? 150 : 0
      setTimeout(() => response.end('{}'), stall)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      const sample = await measureLatencyAtRate({
        url: `http://127.0.0.1:${port}`,
        path: '/probe',
        rate: 100,
        durationSec: 1,
      })
      expect(sample.requests).toBe(100)
      expect(sample.statuses).toEqual({ '200': 100 })
      // Evenly spaced: 10 ms apart, give or take a timer's jitter; never a burst.
      const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!)
      const sortedGaps = gaps.toSorted((a, b) => a - b)
      expect(percentile(sortedGaps, 50)).toBeGreaterThan(8)
      expect(percentile(sortedGaps, 50)).toBeLessThan(12)
      const busiest = Math.max(
        ...arrivals.map((at) => arrivals.filter((other) => other >= at && other < at + 50).length),
      )
      // 5 per 50 ms when evenly spaced; a loop busy elsewhere can bunch a few of them (each
      // goes out when its moment has passed), but a burst would send the second's 100 at once.
      expect(busiest).toBeLessThanOrEqual(20)
      // The stalled answer is measured, and the requests after it went out on time.
      // (A Node timer fires on the loop's millisecond clock: up to 1 ms early by performance.now.)
      expect(sample.maxMs).toBeGreaterThanOrEqual(149)
      expect(arrivals[20]! - arrivals[19]!).toBeLessThan(30)
      expect(sample.p50Ms).toBeLessThan(20)
    } finally {
      server.close()
    }
  })
})
