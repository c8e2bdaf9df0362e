import { existsSync, readFileSync } from 'node:fs'

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
    // Spins until the main thread has run 100 ms by the kernel's count (not by the wall clock,
    // which a loaded machine stretches).
    const ranNs = () =>
      parseSchedstat(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8'))
        .runNs
    const { result, seconds, contention } = await measureContention(process.pid, () => {
      const until = ranNs() + 100e6
      while (ranNs() < until) {
        // spin
      }
      return Promise.resolve('done')
    })
    expect(result).toBe('done')
    expect(seconds).toBeGreaterThanOrEqual(0.1)
    expect(processCpuSeconds(process.pid) - cpu).toBeGreaterThanOrEqual(0.05)
    expect(contention).toBeDefined()
    // This process is both "server" and probe here; its main thread ran 100 ms in the window.
    expect((contention?.serverRunMsPerSec ?? 0) * seconds).toBeGreaterThanOrEqual(95)
    expect(contention?.serverWaitMsPerSec).toBeGreaterThanOrEqual(0)
    // Same thread, read twice a few microseconds apart at each end of the window: the two waits
    // differ only by what the thread waited in between (a time slice at most, on a busy machine).
    const waitGapMs =
      Math.abs((contention?.probeWaitMsPerSec ?? 0) - (contention?.serverWaitMsPerSec ?? 0)) *
      seconds
    expect(waitGapMs).toBeLessThanOrEqual(20)
    expect(contention?.machineBusy).toBeGreaterThan(0)
    expect(contention?.machineBusy).toBeLessThanOrEqual(1)
  })
})
