import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** The state of a query a page shows. */
export interface QueryState<T> {
  readonly data: T | undefined
  readonly error: unknown
  readonly loading: boolean
  /** Loads again; resolves when the answer (or failure) is shown. */
  readonly reload: () => Promise<void>
}

/**
 * Runs `load` on mount and on `reload()`, keeping the last data while a reload runs. Only the
 * newest load's outcome is shown, and nothing is set once the component is gone.
 */
export function useQuery<T>(load: () => Promise<T>): QueryState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  })
  const latest = useRef(0)
  const loader = useRef(load)
  loader.current = load

  const reload = useCallback(async () => {
    const run = ++latest.current
    setState((previous) => ({ ...previous, loading: true }))
    try {
      const data = await loader.current()
      if (run === latest.current) setState({ data, error: undefined, loading: false })
    } catch (error) {
      if (run === latest.current) setState((previous) => ({ ...previous, error, loading: false }))
    }
  }, [])

  useEffect(() => {
    void reload()
    return () => {
      latest.current = Number.NaN
    }
  }, [reload])

  return { ...state, reload }
}

/** An action a page runs on a click or a submit, and its state. */
export interface ActionState {
  /** True while an action runs (buttons are disabled). */
  readonly busy: boolean
  /** The last action's failure, cleared when the next one starts. */
  readonly error: unknown
  /** Runs `work`, then `after` (a reload of what it changed) if `work` succeeded. */
  readonly run: (work: () => Promise<unknown>) => Promise<void>
}

/** One action at a time, its failure kept for the page to show; `after` runs on success. */
export function useAction(after?: () => Promise<void>): ActionState {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true)
    setError(undefined)
    try {
      await work()
      await after?.()
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run }
}

/** The current time, updated every `intervalMs` (for countdowns). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(Date.now())
    }, intervalMs)
    return () => {
      clearInterval(timer)
    }
  }, [intervalMs])
  return now
}
