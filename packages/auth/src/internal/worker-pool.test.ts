import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { afterEach, describe, expect, it, vi } from 'vitest'

import { createWorkerPool } from './worker-pool.ts'

/**
 * A thread program for these tests: `{ double: n }` answers 2n; `{ fail: message }` answers an
 * error; `{ exit: code }` stops the thread; `{ throw: message }` throws out of it;
 * `{ hold: true }` counts itself in the shared `workerData` array ([held now, most held at once,
 * gate]), waits until the gate opens, and answers its thread's id.
 */
const SOURCE = `'use strict'
const { parentPort, workerData, threadId } = require('node:worker_threads')
const counts = new Int32Array(workerData)
parentPort.on('message', ({ id, task }) => {
  if ('exit' in task) process.exit(task.exit)
  if ('throw' in task) throw new Error(task.throw)
  if ('fail' in task) return parentPort.postMessage({ id, error: task.fail })
  if ('hold' in task) {
    const now = Atomics.add(counts, 0, 1) + 1
    let most = Atomics.load(counts, 1)
    while (now > most && Atomics.compareExchange(counts, 1, most, now) !== most) most = Atomics.load(counts, 1)
    Atomics.wait(counts, 2, 0)
    Atomics.sub(counts, 0, 1)
    return parentPort.postMessage({ id, value: threadId })
  }
  parentPort.postMessage({ id, value: task.double * 2 })
})
`

function pool(size: number) {
  const shared = new SharedArrayBuffer(12)
  const counts = new Int32Array(shared)
  return {
    pool: createWorkerPool({ source: SOURCE, workerData: shared, size }),
    heldNow: () => Atomics.load(counts, 0),
    mostAtOnce: () => Atomics.load(counts, 1),
    open: () => {
      Atomics.store(counts, 2, 1)
      Atomics.notify(counts, 2)
    },
  }
}

const temporary: string[] = []
afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('createWorkerPool', () => {
  it('answers each task with its own result, starting threads only when work needs them', async () => {
    const { pool: threads } = pool(2)
    expect(threads.threads).toBe(0)
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => threads.run({ double: n })))
    expect(answers).toEqual([2, 4, 6, 8, 10])
    expect(threads.threads).toBeGreaterThan(0)
    expect(threads.threads).toBeLessThanOrEqual(2)
  })

  it('runs at most `size` tasks at once, the rest in order as threads free up', async () => {
    const { pool: threads, heldNow, mostAtOnce, open } = pool(2)
    const held = Array.from({ length: 6 }, () => threads.run({ hold: true }))
    expect(threads.threads).toBe(2)
    await vi.waitFor(() => expect(heldNow()).toBe(2))
    open()
    const ran = await Promise.all(held)
    expect(mostAtOnce()).toBe(2)
    expect(new Set(ran).size).toBe(2)
    expect(threads.threads).toBe(2)
  })

  it('grows to a larger size, starting threads for the tasks that wait', async () => {
    const { pool: threads, heldNow, mostAtOnce, open } = pool(1)
    const held = Array.from({ length: 4 }, () => threads.run({ hold: true }))
    expect(threads.threads).toBe(1)
    threads.grow(3)
    threads.grow(2) // never shrinks
    expect(threads.threads).toBe(3)
    await vi.waitFor(() => expect(heldNow()).toBe(3))
    open()
    await Promise.all(held)
    expect(mostAtOnce()).toBe(3)
  })

  it('rejects with the error a thread answers, and the thread goes on serving', async () => {
    const { pool: threads } = pool(1)
    await expect(threads.run({ fail: 'no such hash' })).rejects.toThrow('no such hash')
    await expect(threads.run({ double: 21 })).resolves.toBe(42)
    expect(threads.threads).toBe(1)
  })

  it('fails the task of a thread that stops, and gives the next task a fresh thread', async () => {
    const { pool: threads } = pool(1)
    const queued = threads.run({ double: 4 })
    const stopped = threads.run({ exit: 3 })
    expect(await queued).toBe(8)
    await expect(stopped).rejects.toThrow('a pool thread stopped with exit code 3')
    // The queue's next task starts a new thread in place of the stopped one.
    const afterStop = [threads.run({ exit: 4 }), threads.run({ double: 5 })]
    await expect(afterStop[0]).rejects.toThrow('exit code 4')
    await expect(afterStop[1]).resolves.toBe(10)
    expect(threads.threads).toBe(1)
  })

  it('fails the task of a thread that throws with that error', async () => {
    const { pool: threads } = pool(1)
    await expect(threads.run({ throw: 'the thread broke' })).rejects.toThrow('the thread broke')
    await expect(threads.run({ double: 6 })).resolves.toBe(12)
  })

  it('does not keep the process alive once its threads are idle', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-pool-'))
    temporary.push(dir)
    const script = join(dir, 'idle-exit.mts')
    const module = fileURLToPath(new URL('./worker-pool.ts', import.meta.url))
    await writeFile(
      script,
      [
        `import { createWorkerPool } from ${JSON.stringify(module)}`,
        `const source = ${JSON.stringify(SOURCE)}`,
        `const threads = createWorkerPool({ source, workerData: new SharedArrayBuffer(12), size: 2 })`,
        `const answers = await Promise.all([threads.run({ double: 1 }), threads.run({ double: 2 })])`,
        `console.log('answered', answers.join(' '), threads.threads)`,
      ].join('\n'),
    )
    // Bun runs TypeScript itself; Node through tsx's loader.
    const args =
      process.versions['bun'] === undefined
        ? ['--import', import.meta.resolve('tsx'), script]
        : [script]
    const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 15_000 })
    expect(stdout.trim()).toBe('answered 2 4 2')
  })
})
