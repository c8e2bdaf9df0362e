/**
 * Calls an application callback without letting its exception break the client's own state
 * change: the error is rethrown on a fresh microtask, where the runtime reports it as uncaught
 * (never swallowed).
 */
export function callSafely(callback: () => void): void {
  try {
    callback()
  } catch (error) {
    queueMicrotask(() => {
      throw error
    })
  }
}
