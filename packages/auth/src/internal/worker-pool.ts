import { Worker } from 'node:worker_threads'

/** A request to a pool thread and its answer, as `createWorkerPool`'s source must handle them. */
export interface PoolRequest {
  readonly id: number
  readonly task: unknown
}
export type PoolAnswer =
  { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: string }

export interface WorkerPoolOptions {
  /**
   * The thread's program, CommonJS, run with `eval`: it answers each `PoolRequest` that
   * `parentPort` receives with one `PoolAnswer`, in order, one at a time.
   */
  readonly source: string
  readonly workerData?: unknown
  /** Threads at most; started when work needs them, kept for the life of the process. */
  readonly size: number
}

export interface WorkerPool {
  /** Runs `task` on a free thread, or after the tasks before it; rejects with its error. */
  run(task: unknown): Promise<unknown>
  /** Allows up to `size` threads (never fewer than already allowed). */
  grow(size: number): void
  readonly threads: number
}

interface Pending {
  readonly task: unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
}

interface Thread {
  readonly worker: Worker
  /** The task it runs, if any. */
  current: (Pending & { readonly id: number }) | undefined
}

/**
 * A fixed set of threads that take tasks one at a time, in order of arrival. Threads start on
 * demand and do not keep the process alive while idle. A thread that stops (an uncaught error,
 * `process.exit` in its program) fails the task it held and is replaced by the next task.
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  let size = options.size
  let nextId = 0
  const threads = new Set<Thread>()
  const idle: Thread[] = []
  const queue: Pending[] = []

  const give = (thread: Thread, pending: Pending) => {
    const id = nextId++
    thread.current = { ...pending, id }
    thread.worker.ref()
    thread.worker.postMessage({ id, task: pending.task } satisfies PoolRequest)
  }

  const finished = (thread: Thread) => {
    thread.current = undefined
    const pending = queue.shift()
    if (pending === undefined) {
      thread.worker.unref()
      idle.push(thread)
    } else {
      give(thread, pending)
    }
  }

  const start = (): Thread => {
    const worker = new Worker(options.source, { eval: true, workerData: options.workerData })
    const thread: Thread = { worker, current: undefined }
    threads.add(thread)
    worker.on('message', (answer: PoolAnswer) => {
      const current = thread.current
      if (current?.id !== answer.id) return
      if ('error' in answer) current.reject(new Error(answer.error))
      else current.resolve(answer.value)
      finished(thread)
    })
    let failure: Error | undefined
    worker.on('error', (error) => {
      failure = error
    })
    worker.on('exit', (code) => {
      threads.delete(thread)
      const at = idle.indexOf(thread)
      if (at !== -1) idle.splice(at, 1)
      thread.current?.reject(failure ?? new Error(`a pool thread stopped with exit code ${code}`))
      thread.current = undefined
      // The queue's next task gets a fresh thread.
      const pending = queue.shift()
      if (pending !== undefined) dispatch(pending)
    })
    return thread
  }

  const dispatch = (pending: Pending): void => {
    const free = idle.pop()
    if (free !== undefined) {
      give(free, pending)
    } else if (threads.size >= size) {
      queue.push(pending)
    } else {
      let thread: Thread
      try {
        thread = start()
      } catch (error) {
        pending.reject(error instanceof Error ? error : new Error(String(error)))
        return
      }
      give(thread, pending)
    }
  }

  return {
    run(task) {
      return new Promise((resolve, reject) => dispatch({ task, resolve, reject }))
    },
    grow(atLeast) {
      if (atLeast <= size) return
      size = atLeast
      // Waiting tasks get the new threads, in order of arrival.
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        dispatch(next)
        if (threads.size >= size) break
      }
    },
    get threads() {
      return threads.size
    },
  }
}
