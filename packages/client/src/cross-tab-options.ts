/** The part of the Web Locks API (`navigator.locks`) Warden uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal; steal?: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>
}

/** A message listener of a `BroadcastChannelLike`. */
export type ChannelListener = (event: { readonly data: unknown }) => void

/** The part of `BroadcastChannel` Warden uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void
  addEventListener(type: 'message', listener: ChannelListener): void
  removeEventListener(type: 'message', listener: ChannelListener): void
  close(): void
}

/** Cross-tab coordination settings; `null` turns a part off, `undefined` takes the global. */
export interface CrossTabOptions {
  /** The Web Locks API; defaults to `navigator.locks`. */
  readonly locks?: LockManagerLike | null | undefined
  /** A `BroadcastChannel('warden-session')`; defaults to a new one. `close()` closes it. */
  readonly channel?: BroadcastChannelLike | null | undefined
  /**
   * How long to wait for another tab's refresh before taking its lock as abandoned and stealing
   * it. Keep it below the server's `REFRESH_REUSE_INTERVAL` (10 s). Default 5000.
   */
  readonly lockTimeoutMs?: number | undefined
}
