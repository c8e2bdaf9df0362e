import { createContext } from 'preact'
import { useContext } from 'preact/hooks'

import type { AppClient } from './browser-warden.ts'
import type { TokenTimes } from './token-times.ts'

/** Who is signed in, as the server reads it from the access token (`system.whoami`). */
export interface Identity {
  readonly sub: string
  readonly email: string
  readonly roles: readonly string[]
  readonly scopes: readonly string[]
  readonly tenantId: string | null
}

/** What every signed-in page may use. */
export interface AppContextValue {
  readonly client: AppClient
  readonly identity: Identity
  readonly times: TokenTimes
  readonly navigate: (path: string) => void
  readonly signOut: (everywhere: boolean) => Promise<void>
}

/** Provided by `App` around the signed-in pages. */
export const AppContext = createContext<AppContextValue | null>(null)

/** The signed-in app's context; only valid below `App`'s provider. */
export function useApp(): AppContextValue {
  const value = useContext(AppContext)
  if (value === null) throw new Error('useApp() outside the signed-in app')
  return value
}
