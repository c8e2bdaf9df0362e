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
