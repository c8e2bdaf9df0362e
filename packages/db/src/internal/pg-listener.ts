import pg from 'pg'

/** What a subscriber to a channel is told. */
export interface ListenHandlers {
  onMessage(payload: string): void
  /** Called after the connection was lost and LISTEN re-issued: notifications may be missed. */
  onReconnect?(): void
}

export interface PgListenerOptions {
  readonly clientConfig: pg.ClientConfig
  readonly onError: (err: unknown) => void
  readonly initialDelayMs: number
  readonly maxDelayMs: number
}

/**
 * LISTEN on one dedicated connection (not from the pool: a pooled connection is handed to other
 * queries, and LISTEN state is per session), shared by every channel. After an error or end it
 * reconnects with capped exponential back-off, re-issues LISTEN for every channel and calls each
 * `onReconnect`, because notifications sent while it was away are lost.
 */
export class PgListener {
  readonly #options: PgListenerOptions
  readonly #subscribers = new Map<string, Set<ListenHandlers>>()
  #client: pg.Client | undefined
  #listening = new Set<string>()
  #connecting: Promise<pg.Client> | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #attempt = 0
  #closed = false
  #resyncDue = false

  constructor(options: PgListenerOptions) {
    this.#options = options
  }

  async listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error('The database is closed')
    let set = this.#subscribers.get(channel)
    if (!set) {
      set = new Set()
      this.#subscribers.set(channel, set)
    }
    set.add(handlers)
    try {
      const client = await this.#ensureConnected()
      if (!this.#listening.has(channel)) {
        this.#listening.add(channel)
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`)
      }
    } catch (err) {
      this.#remove(channel, handlers)
      this.#scheduleReconnect()
      throw err
    }
    let active = true
    return async () => {
      if (!active) return
      active = false
      this.#remove(channel, handlers)
      const client = this.#client
      if (!this.#subscribers.has(channel) && client && this.#listening.delete(channel)) {
        await client.query(`UNLISTEN ${client.escapeIdentifier(channel)}`)
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined))
    this.#client = undefined
    await client?.end().catch(() => undefined)
  }

  #remove(channel: string, handlers: ListenHandlers): void {
    const set = this.#subscribers.get(channel)
    set?.delete(handlers)
    if (set?.size === 0) this.#subscribers.delete(channel)
  }

  #ensureConnected(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client)
    if (!this.#connecting) {
      clearTimeout(this.#retryTimer)
      this.#retryTimer = undefined
      this.#connecting = this.#connect().finally(() => {
        this.#connecting = undefined
      })
    }
    return this.#connecting
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.#options.clientConfig)
    // Registered before connecting: an 'error' event without a listener would crash the process.
    client.on('error', (err) => {
      this.#options.onError(err)
      this.#lost(client)
    })
    client.on('end', () => {
      this.#lost(client)
    })
    client.on('notification', (message) => {
      this.#dispatch(message.channel, message.payload ?? '')
    })
    try {
      await client.connect()
      const listening = new Set(this.#subscribers.keys())
      for (const channel of listening) {
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`)
      }
      if (this.#closed) throw new Error('The database is closed')
      this.#client = client
      this.#listening = listening
      this.#attempt = 0
      if (this.#resyncDue) {
        this.#resyncDue = false
        this.#notifyReconnect()
      }
      return client
    } catch (err) {
      await client.end().catch(() => undefined)
      throw err
    }
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return
    this.#client = undefined
    this.#listening = new Set()
    this.#resyncDue = true
    client.end().catch(() => undefined)
    this.#scheduleReconnect()
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer || this.#connecting || this.#subscribers.size === 0) return
    const { initialDelayMs, maxDelayMs } = this.#options
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** this.#attempt)
    // Half fixed, half random: instances that lost the database together do not return in step.
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2
    this.#attempt += 1
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#ensureConnected().catch((err: unknown) => {
        this.#options.onError(err)
        this.#scheduleReconnect()
      })
    }, delay)
    this.#retryTimer.unref()
  }

  #notifyReconnect(): void {
    for (const set of this.#subscribers.values()) {
      for (const handlers of set) {
        try {
          handlers.onReconnect?.()
        } catch (err) {
          this.#options.onError(err)
        }
      }
    }
  }

  #dispatch(channel: string, payload: string): void {
    const set = this.#subscribers.get(channel)
    if (!set) return
    for (const handlers of set) {
      try {
        handlers.onMessage(payload)
      } catch (err) {
        this.#options.onError(err)
      }
    }
  }
}
