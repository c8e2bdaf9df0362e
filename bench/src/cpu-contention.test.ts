import { existsSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

import {
  measureContention,
  parseProcStat,
  parseSchedstat,
  processCpuSeconds,
} from './cpu-contention.ts'

describe('parseSchedstat', () => {
  it('reads run time and run-queue wait, in ns', () => {
    expect(parseSchedstat('1520363207 98117404 1227\n')).toEqual({
      runNs: 1520363207,
      waitNs: 98117404,
    })
  })

  it('refuses anything else', () => {
    expect(() => parseSchedstat('')).toThrow(/schedstat/)
    expect(() => parseSchedstat('12 x 3')).toThrow(/schedstat/)
  })
})

describe('parseProcStat', () => {
  it('counts idle and iowait as not busy, everything else up to steal as busy', () => {
    const text = [
      'cpu  100 5 50 800 40 3 2 0 7 0',
      'cpu0 50 2 25 400 20 1 1 0 0 0',
      'intr 12345',
    ].join('\n')
    // Busy: user 100 + nice 5 + system 50 + irq 3 + softirq 2 + steal 0; guest (7) is in user.
    expect(parseProcStat(text)).toEqual({ busy: 160, total: 1000 })
  })

  it('refuses a text without the aggregate line', () => {
    expect(() => parseProcStat('cpu0 1 2 3 4\n')).toThrow(/aggregate/)
  })
})

describe.runIf(existsSync('/proc/self/task'))('on Linux', () => {
  it('measures the running and the CPU time of a process', async () => {
    const cpu = processCpuSeconds(process.pid)
    const { result, seconds, contention } = await measureContention(process.pid, () => {
      const until = performance.now() + 100
      while (performance.now() < until) {
        // spin: the main thread runs for the whole window
      }
      return Promise.resolve('done')
    })
    expect(result).toBe('done')
    expect(seconds).toBeGreaterThanOrEqual(0.1)
    expect(processCpuSeconds(process.pid) - cpu).toBeGreaterThanOrEqual(0.05)
    expect(contention).toBeDefined()
    // This process is both "server" and probe here; it spun for the whole window.
    expect(contention?.serverRunMsPerSec).toBeGreaterThan(500)
    expect(contention?.serverWaitMsPerSec).toBeGreaterThanOrEqual(0)
    expect(contention?.probeWaitMsPerSec).toBe(contention?.serverWaitMsPerSec)
    expect(contention?.machineBusy).toBeGreaterThan(0)
    expect(contention?.machineBusy).toBeLessThanOrEqual(1)
  })
})
