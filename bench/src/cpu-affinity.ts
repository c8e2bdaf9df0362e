import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

/**
 * Which CPUs the load generator and the server get during a throughput run, so that they never
 * compete for one: the server (every thread of it: main, GC, libuv) on CPU 0, this process
 * (autocannon runs on its main thread) on the others. A 2-core machine is then one core for the
 * server and one for the load, as if the load came from another machine.
 */
export interface CpuSplit {
  readonly server: string
  readonly load: string
  /** Puts this process back on every CPU. */
  restore(): void
}

function taskset(pid: number, cpus: string): boolean {
  const result = spawnSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(pid)], {
    stdio: 'ignore',
  })
  return result.status === 0
}

/**
 * Pins `serverPid` to CPU 0 and this process to the rest (with `taskset`, from util-linux).
 * Undefined, and nothing changed, on a single CPU or where `taskset` cannot run.
 */
export function splitCpus(serverPid: number): CpuSplit | undefined {
  const count = availableParallelism()
  if (count < 2) return undefined
  const all = `0-${count - 1}`
  const load = count === 2 ? '1' : `1-${count - 1}`
  if (!taskset(serverPid, '0')) return undefined
  if (!taskset(process.pid, load)) {
    taskset(serverPid, all)
    return undefined
  }
  return { server: '0', load, restore: () => void taskset(process.pid, all) }
}
