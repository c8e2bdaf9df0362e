import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'

import type { Options as Argon2Options } from '@node-rs/argon2'

import { createWorkerPool, type WorkerPool } from '../internal/worker-pool.ts'

/** The lowest priority a thread can take (Linux nice values run from 0, normal, to 19). */
export const MAX_NICE = 19

export type HashingTask =
  | { readonly op: 'hash'; readonly password: string; readonly params: Argon2Options }
  | { readonly op: 'verify'; readonly stored: string; readonly password: string }

/**
 * The hashing thread's program. It first lowers its own scheduling priority: on Linux a thread
 * is a task of its own, `/proc/thread-self` names it, and `setpriority` on that id changes that
 * thread only (never the process's other threads; the check against `process.pid` makes sure).
 * An unprivileged process may always lower a priority. Elsewhere (no `/proc`), or if the kernel
 * refuses, the thread keeps the normal priority and hashes all the same. Then it runs
 * @node-rs/argon2's synchronous functions, which hash on this thread, not on the libuv pool
 * whose threads it could not tell apart.
 *
 * A string run with `eval`, not a file: it works the same from the TypeScript sources (tsx,
 * vitest, Bun) and from the server's bundle, where a worker file would need a build step.
 */
const SOURCE = `'use strict'
const { parentPort, workerData } = require('node:worker_threads')
if (workerData.nice > 0) {
  try {
    const self = require('node:fs').readlinkSync('/proc/thread-self')
    const tid = Number(self.slice(self.lastIndexOf('/') + 1))
    if (Number.isSafeInteger(tid) && tid > 0 && tid !== process.pid) {
      require('node:os').setPriority(tid, workerData.nice)
    }
  } catch {}
}
const argon2 = require(workerData.argon2)
parentPort.on('message', ({ id, task }) => {
  try {
    const value =
      task.op === 'hash'
        ? argon2.hashSync(task.password, task.params)
        : argon2.verifySync(task.stored, task.password)
    parentPort.postMessage({ id, value })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) })
  }
})
`

const pools = new Map<number, WorkerPool>()

/**
 * The process's hashing threads at `nice`, shared by every hasher that asks for that priority
 * (as libuv's pool is shared): `concurrency` threads or the CPUs, whichever is fewer, grown
 * when a hasher asks for more. Each hasher bounds its own work with its semaphore.
 */
export function hashingThreads(nice: number, concurrency: number): WorkerPool {
  const size = Math.min(concurrency, Math.max(1, availableParallelism()))
  let pool = pools.get(nice)
  if (pool === undefined) {
    const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2')
    pool = createWorkerPool({ source: SOURCE, workerData: { argon2, nice }, size })
    pools.set(nice, pool)
  }
  pool.grow(size)
  return pool
}
