import { AuthError, decideLoginThrottle } from '@warden/auth'
import {
  activeLockout,
  readLoginState,
  recordAuditEvent,
  recordLockout,
  recordLoginOutcome,
  setPasswordHash,
  type User,
} from '@warden/db'

import type { RequestMeta } from '../request.ts'
import type { ApiServices } from '../services.ts'
import { createKeyedQueue } from './keyed-queue.ts'

const THROTTLE_WINDOW_MS = 15 * 60 * 1000

/** The key that login throttling counts under: the e-mail, case- and width-folded. */
export function accountKeyOf(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase()
}

/**
 * Creates the login check: password verification behind brute-force throttling.
 *
 * - Attempts from one IP run one at a time in this instance, with a short bounded queue, so
 *   concurrent attempts (a batch of 100 calls) are each counted; beyond the queue, or after
 *   waiting `maxWaitMs` (default 5 s) for the attempts ahead: 429. The wait bound keeps a slow
 *   database from making the last of 16 queued attempts wait for 16 time-outs in turn.
 * - The throttle (per account+IP pair hard, per account gentle, per IP overall) is decided from
 *   recorded failures before the password is looked at, identically for existing and unknown
 *   accounts.
 * - An unknown account costs a dummy verification, and every failure gets the same error and
 *   message, so neither the answer nor its timing tells whether the account exists.
 * - When its turn in that queue comes, the password hasher admits the attempt or refuses it
 *   `overloaded`, before any database query and whatever the account (`PasswordHasher.admit`).
 */
export function createLoginCheck(options: { maxWaitingPerIp?: number; maxWaitMs?: number } = {}) {
  const perIp = createKeyedQueue({
    maxWaiting: options.maxWaitingPerIp ?? 16,
    maxWaitMs: options.maxWaitMs ?? 5000,
  })

  async function attempt(
    services: ApiServices,
    request: RequestMeta,
    input: { email: string; password: string },
  ): Promise<User> {
    const { clock, db, passwords } = services
    const now = clock.now()
    const at = new Date(now)
    const accountKey = accountKeyOf(input.email)
    const { ip } = request

    // One statement reads the failures and the account together; the throttle is decided on the
    // failures alone, before the account (if any) is looked at.
    const { failures, user } = await readLoginState(db.kysely, {
      email: input.email,
      accountKey,
      ip,
      since: new Date(now - THROTTLE_WINDOW_MS),
    })
    const decision = decideLoginThrottle({
      now,
      pairFailures: failures.pair,
      accountFailures: failures.account,
      ipFailures: failures.ip,
    })
    if (!decision.allowed) {
      const key =
        decision.scope === 'ip'
          ? ip
          : decision.scope === 'account'
            ? accountKey
            : `${accountKey} ${ip}`
      if (!(await activeLockout(db.kysely, { scope: decision.scope, key, now: at }))) {
        const until = new Date(now + decision.retryAfter * 1000)
        await recordLockout(db.kysely, {
          scope: decision.scope,
          key,
          until,
          reason: 'too_many_failures',
          now: at,
        })
        await recordAuditEvent(db.kysely, {
          type: 'lockout',
          at,
          ip,
          reason: decision.scope,
          details: { retryAfter: decision.retryAfter },
        })
      }
      throw new AuthError('rate_limited', 'Too many login attempts; try again later', {
        retryAfter: decision.retryAfter,
      })
    }

    let valid = false
    let needsRehash = false
    if (user) {
      ;({ valid, needsRehash } = await passwords.verify(user.passwordHash, input.password))
    } else {
      await passwords.verifyDummy(input.password)
    }

    if (!user || !valid || user.disabledAt !== null) {
      await recordLoginOutcome(db.kysely, {
        accountKey,
        ip,
        now: at,
        outcome: {
          success: false,
          reason: !user ? 'unknown_account' : !valid ? 'wrong_password' : 'disabled',
          userId: user?.id,
        },
      })
      throw new AuthError('invalid_credentials', 'Invalid email or password')
    }

    if (needsRehash) {
      await setPasswordHash(db.kysely, {
        userId: user.id,
        passwordHash: await passwords.hash(input.password),
        now: at,
      })
    }
    await recordLoginOutcome(db.kysely, {
      accountKey,
      ip,
      now: at,
      outcome: { success: true, userId: user.id },
    })
    return user
  }

  return {
    /**
     * Checks an e-mail and password.
     * @throws AuthError `invalid_credentials` (unknown account, wrong password, disabled),
     *   `rate_limited` (with `retryAfter`), `overloaded` (the password hasher's queue is full)
     */
    async verify(
      services: ApiServices,
      request: RequestMeta,
      input: { email: string; password: string },
    ): Promise<User> {
      // Admitted by the hasher before the database is asked anything: beyond what it can run
      // and queue, the attempt is refused at once (a login flood must not become a query flood).
      const outcome = await perIp.run(request.ip, () =>
        services.passwords.admit(() => attempt(services, request, input)),
      )
      if (!outcome) {
        throw new AuthError('rate_limited', 'Too many concurrent login attempts', { retryAfter: 1 })
      }
      return outcome.value
    },
  }
}

export type LoginCheck = ReturnType<typeof createLoginCheck>
