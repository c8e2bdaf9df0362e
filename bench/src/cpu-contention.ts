import { readFileSync } from 'node:fs'

/**
 * Where a latency goes when the machine is busy, from Linux's own accounting: how long a thread
 * ran and how long it was ready to run but waited for a CPU (`/proc/<pid>/task/<tid>/schedstat`:
 * run time, run-queue wait, in ns), and how busy all the CPUs were (`/proc/stat`). A request
 * that arrives while the server's main thread waits for a CPU waits with it, whatever the event
 * loop would do.
 */

/** Nanoseconds a thread has run and has waited on a run queue, from its `schedstat`. */
export interface ThreadTimes {
  readonly runNs: number
  readonly waitNs: number
}

/** Busy and total clock ticks of all CPUs together, from the `cpu` line of `/proc/stat`. */
export interface MachineTicks {
  readonly busy: number
  readonly total: number
}

/** `schedstat`: `<run ns> <run-queue wait ns> <timeslices>`. */
export function parseSchedstat(text: string): ThreadTimes {
  const [run, wait] = text.trim().split(/\s+/).map(Number)
  if (run === undefined || wait === undefined || !Number.isFinite(run + wait)) {
    throw new Error(`not a schedstat line: ${JSON.stringify(text)}`)
  }
  return { runNs: run, waitNs: wait }
}

/**
 * The aggregate `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq steal
 * (guest time is already in user and nice). Idle and iowait are not busy.
 */
export function parseProcStat(text: string): MachineTicks {
  const line = text.split('\n').find((l) => l.startsWith('cpu '))
  if (line === undefined) throw new Error('no aggregate cpu line in /proc/stat')
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number)
  if (ticks.length < 4 || ticks.some((t) => !Number.isFinite(t))) {
    throw new Error(`not a cpu line: ${line}`)
  }
  const total = ticks.reduce((sum, t) => sum + t, 0)
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0)
  return { busy: total - idle, total }
}

/**
 * CPU seconds (user + system, every thread) process `pid` has used so far: fields 14 and 15 of
 * `/proc/<pid>/stat`, after the parenthesised command name, in clock ticks of USER_HZ, which
 * Linux fixes at 100 for everything it reports to user space.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** The main thread of process `pid` (its thread id is the pid). */
function mainThreadTimes(pid: number): ThreadTimes {
  return parseSchedstat(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8'))
}

/** What one window of `measureContention` saw. */
export interface Contention {
  /** Milliseconds per second the server's main thread ran. */
  readonly serverRunMsPerSec: number
  /** Milliseconds per second it was ready to run and waited for a CPU. */
  readonly serverWaitMsPerSec: number
  /** The same wait for the main thread of this process (the latency probe). */
  readonly probeWaitMsPerSec: number
  /** Share of all CPUs' time that was busy (0–1), whoever used it. */
  readonly machineBusy: number
}

/**
 * Runs `work` and reports how long it took (`seconds`) and the scheduler's view of that window:
 * the server's main thread and this process's run and run-queue wait, and the machine's busy
 * share. `contention` is undefined where the kernel does not offer `schedstat` (not Linux, or
 * schedstats compiled out); `work` runs either way.
 */
export async function measureContention<T>(
  serverPid: number,
  work: () => Promise<T>,
): Promise<{ result: T; seconds: number; contention: Contention | undefined }> {
  let before: { server: ThreadTimes; probe: ThreadTimes; machine: MachineTicks } | undefined
  const read = () => ({
    server: mainThreadTimes(serverPid),
    probe: mainThreadTimes(process.pid),
    machine: parseProcStat(readFileSync('/proc/stat', 'utf8')),
  })
  try {
    before = read()
  } catch {
    before = undefined
  }
  const started = performance.now()
  const result = await work()
  const seconds = (performance.now() - started) / 1000
  if (before === undefined) return { result, seconds, contention: undefined }
  const after = read()
  const perSec = (ns: number) => Math.round(ns / 1e6 / seconds)
  const ticks = after.machine.total - before.machine.total
  return {
    result,
    seconds,
    contention: {
      serverRunMsPerSec: perSec(after.server.runNs - before.server.runNs),
      serverWaitMsPerSec: perSec(after.server.waitNs - before.server.waitNs),
      probeWaitMsPerSec: perSec(after.probe.waitNs - before.probe.waitNs),
      machineBusy:
        ticks > 0
          ? Math.round(((after.machine.busy - before.machine.busy) / ticks) * 100) / 100
          : 0,
    },
  }
}
