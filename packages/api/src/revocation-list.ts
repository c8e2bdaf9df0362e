import { tokenIssuedAt, type AccessTokenClaims, type Clock } from '@warden/auth'
import {
  listActiveRevocations,
  listTokenCutoffs,
  parseRevocationEvent,
  REVOCATION_CHANNEL,
  revokeAccessToken,
  setTokensValidAfter,
  type RevocationEvent,
  type WardenDatabase,
} from '@warden/db'

import type { Logger } from './services.ts'

/**
 * Revoked access tokens (`jti`) and per-user cut-offs (log out everywhere), held in memory so
 * that checking them costs no database round trip per request. Every instance listens on the
 * database's revocation channel (PostgreSQL LISTEN/NOTIFY, also in PGlite), so a revocation made
 * on one instance reaches the others within milliseconds; a periodic and an on-reconnect reload
 * repair anything a dropped connection missed.
 */
export interface RevocationList {
  /** True when the token's `jti` is revoked or it was issued before its user's cut-off. */
  isRevoked(claims: AccessTokenClaims): boolean
  /** Revokes one access token until its expiry. Effective on this instance at once. */
  revokeToken(input: { jti: string; userId?: string | undefined; expiresAt: number }): Promise<void>
  /** Revokes every access token issued to the user before `at` (epoch ms). */
  revokeUserTokens(input: { userId: string; at: number }): Promise<void>
  /** Loads the current state and subscribes to changes. */
  start(): Promise<void>
  /** Unsubscribes and stops the timer. */
  stop(): Promise<void>
  /** Reloads everything from the database. */
  reload(): Promise<void>
}

export function createRevocationList(options: {
  db: WardenDatabase
  clock: Clock
  /** The longest an access token can live (ms): cut-offs older than this protect nothing. */
  maxTokenLifetimeMs: number
  resyncIntervalMs?: number
  logger: Logger
}): RevocationList {
  const { db, clock, maxTokenLifetimeMs, logger } = options
  const revokedJtis = new Map<string, number>() // jti → exp (ms)
  const cutoffs = new Map<string, number>() // user id → tokens valid after (ms)
  let unsubscribe: (() => Promise<void>) | undefined
  let timer: ReturnType<typeof setInterval> | undefined

  const apply = (event: RevocationEvent) => {
    if (event.type === 'jti') revokedJtis.set(event.jti, event.exp * 1000)
    else if ((cutoffs.get(event.userId) ?? -Infinity) < event.after)
      cutoffs.set(event.userId, event.after)
  }

  const prune = () => {
    const now = clock.now()
    for (const [jti, exp] of revokedJtis) if (exp <= now) revokedJtis.delete(jti)
    for (const [userId, after] of cutoffs)
      if (after + maxTokenLifetimeMs <= now) cutoffs.delete(userId)
  }

  const reload = async () => {
    const now = clock.now()
    const [jtis, users] = await Promise.all([
      listActiveRevocations(db.kysely, { now: new Date(now) }),
      listTokenCutoffs(db.kysely, { since: new Date(now - maxTokenLifetimeMs) }),
    ])
    for (const { jti, expiresAt } of jtis) revokedJtis.set(jti, expiresAt.getTime())
    for (const { userId, tokensValidAfter } of users) {
      apply({ type: 'user', userId, after: tokensValidAfter.getTime() })
    }
    prune()
  }

  return {
    isRevoked(claims) {
      if (revokedJtis.size > 0 && revokedJtis.has(claims.jti)) return true
      if (cutoffs.size === 0) return false
      const after = cutoffs.get(claims.sub)
      return after !== undefined && tokenIssuedAt(claims) < after
    },
    async revokeToken({ jti, userId, expiresAt }) {
      await revokeAccessToken(db.kysely, {
        jti,
        ...(userId === undefined ? {} : { userId }),
        expiresAt: new Date(expiresAt),
        now: new Date(clock.now()),
      })
      revokedJtis.set(jti, expiresAt)
    },
    async revokeUserTokens({ userId, at }) {
      await setTokensValidAfter(db.kysely, { userId, at: new Date(at) })
      apply({ type: 'user', userId, after: at })
    },
    async start() {
      // Subscribe before loading, so nothing published in between is lost.
      unsubscribe = await db.listen(REVOCATION_CHANNEL, {
        onMessage(payload) {
          const event = parseRevocationEvent(payload)
          if (event) apply(event)
          else logger.warn('ignored a malformed revocation event')
        },
        onReconnect() {
          reload().catch((error: unknown) => {
            logger.error('revocation reload failed', { error: String(error) })
          })
        },
      })
      await reload()
      timer = setInterval(() => {
        reload().catch((error: unknown) => {
          logger.warn('periodic revocation reload failed', { error: String(error) })
        })
      }, options.resyncIntervalMs ?? 60_000)
      timer.unref()
    },
    async stop() {
      if (timer) clearInterval(timer)
      await unsubscribe?.()
      unsubscribe = undefined
    },
    reload,
  }
}
