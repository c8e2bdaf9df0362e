import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'

import {
  hash as argon2Hash,
  verify as argon2Verify,
  parseOptions,
  type Options as Argon2Options,
} from '@node-rs/argon2'

import { isAuthError } from '../errors/auth-error.ts'
import { createSemaphore } from '../internal/create-semaphore.ts'
import { hashingThreads, MAX_NICE, type HashingTask } from './hashing-threads.ts'

// OWASP Password Storage Cheat Sheet, argon2id minimum: m=19 MiB, t=2, p=1.
const MIN_MEMORY_COST = 19_456
const MIN_TIME_COST = 2
// @node-rs/argon2's const enums cannot be read under isolatedModules; these are their values
// for Algorithm.Argon2id and Version.V0x13.
const ARGON2ID = 2
const VERSION_0X13 = 1

/** Options of {@link createPasswordHasher}. */
export interface PasswordHasherOptions {
  /** KiB; at least 19456 (the default). */
  memoryCost?: number | undefined
  /** Passes; at least 2 (the default). */
  timeCost?: number | undefined
  /** Default 1. */
  parallelism?: number | undefined
  /** Hashes running at once; default one fewer than the CPUs, at least 1. */
  maxConcurrent?: number | undefined
  /** Hashes waiting for a slot before `overloaded`; default 64. */
  maxQueue?: number | undefined
  /**
   * The scheduling priority (Linux nice value, 0–19) of the threads that run argon2id; default
   * 10. Above 0, hashing runs on threads of its own that yield the CPU to the rest of the
   * process, above all the event loop: a storm of logins then slows the logins, not the API's
   * other calls. 0 runs argon2id on libuv's thread pool at normal priority. Where a thread's
   * priority cannot be changed (outside Linux), the threads keep the normal one.
   */
  nice?: number | undefined
  /**
   * Allows parameters below OWASP's minimum. For tests only: production code never sets it.
   */
  unsafeTestParameters?: true | undefined
}

/** argon2id password hashing behind a bounded queue. */
export interface PasswordHasher {
  /** An argon2id PHC string of the NFKC-normalised password. */
  hash(password: string): Promise<string>
  /** A malformed stored hash gives `{ valid: false }`; it never throws for that. */
  verify(hash: string, password: string): Promise<{ valid: boolean; needsRehash: boolean }>
  /** Spends the time of one verification, for accounts that do not exist. */
  verifyDummy(password: string): Promise<void>
  /**
   * Runs `task`, the whole of an operation that asks for one verification (a login: its
   * database queries, then the verification), only if the hasher can take it: at most as many
   * tasks at once as verifications can run and wait (`maxConcurrent` + `maxQueue`); beyond that
   * it rejects with `overloaded` at once, before `task` does any work. A flood of logins then
   * costs the database nothing past that bound. The verification itself still goes through the
   * hasher's queue.
   */
  admit<T>(task: () => Promise<T>): Promise<T>
}

const DEFAULT_NICE = 10

/** Where argon2id runs. */
interface Argon2Runner {
  hash(password: string, params: Argon2Options): Promise<string>
  verify(stored: string, password: string): Promise<boolean>
}

const onLibuvPool: Argon2Runner = { hash: argon2Hash, verify: argon2Verify }

function onHashingThreads(nice: number, concurrency: number): Argon2Runner {
  const threads = hashingThreads(nice, concurrency)
  const answer = async <T>(task: HashingTask, type: 'string' | 'boolean'): Promise<T> => {
    const value = await threads.run(task)
    if (typeof value !== type) throw new TypeError(`a hashing thread answered ${typeof value}`)
    return value as T
  }
  return {
    hash: (password, params) => answer({ op: 'hash', password, params }, 'string'),
    verify: (stored, password) => answer({ op: 'verify', stored, password }, 'boolean'),
  }
}

function integer(
  name: string,
  value: number | undefined,
  { fallback, min, max = Number.MAX_SAFE_INTEGER }: { fallback: number; min: number; max?: number },
): number {
  const result = value ?? fallback
  if (!Number.isSafeInteger(result) || result < min || result > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`
    throw new TypeError(`${name} must be an integer ${range}`)
  }
  return result
}

/**
 * An argon2id hasher (@node-rs/argon2) with OWASP's minimum parameters by default (m=19456 KiB,
 * t=2, p=1). Passwords are NFKC-normalised. At most `maxConcurrent` operations run and
 * `maxQueue` wait; beyond that, calls fail at once. The hashing runs on threads at a lower
 * priority (`nice`, default 10), shared by the process's hashers, at most one per CPU.
 *
 * @throws TypeError for parameters under OWASP's minimum (unless `unsafeTestParameters`) or
 *   invalid limits; the returned methods reject with AuthError `overloaded` when saturated
 * @example
 * const passwords = createPasswordHasher()
 * const hash = await passwords.hash(password)
 * const { valid, needsRehash } = await passwords.verify(hash, attempt)
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const unsafe = options.unsafeTestParameters === true
  const memoryCost = integer('memoryCost', options.memoryCost, {
    fallback: MIN_MEMORY_COST,
    min: unsafe ? 8 : MIN_MEMORY_COST,
  })
  const timeCost = integer('timeCost', options.timeCost, {
    fallback: MIN_TIME_COST,
    min: unsafe ? 1 : MIN_TIME_COST,
  })
  const parallelism = integer('parallelism', options.parallelism, { fallback: 1, min: 1 })
  if (parallelism > 255) throw new TypeError('parallelism must be at most 255')
  const maxConcurrent = integer('maxConcurrent', options.maxConcurrent, {
    fallback: Math.max(1, availableParallelism() - 1),
    min: 1,
  })
  const maxQueue = integer('maxQueue', options.maxQueue, { fallback: 64, min: 0 })
  const nice = integer('nice', options.nice, { fallback: DEFAULT_NICE, min: 0, max: MAX_NICE })
  const run = nice === 0 ? onLibuvPool : onHashingThreads(nice, maxConcurrent)
  const semaphore = createSemaphore({ maxConcurrent, maxQueue })
  // Admitted operations wait for nothing: they are only counted, up to what the hasher can hold.
  const admissions = createSemaphore({ maxConcurrent: maxConcurrent + maxQueue, maxQueue: 0 })
  // argon2id and version 0x13 are the library's defaults; a test pins the PHC prefix.
  const params: Argon2Options = { memoryCost, timeCost, parallelism }

  let dummyHash: Promise<string> | undefined

  const needsRehash = (stored: string): boolean => {
    const parsed = parseOptions(stored)
    return (
      (parsed.algorithm as number) !== ARGON2ID ||
      (parsed.version as number) !== VERSION_0X13 ||
      parsed.memoryCost !== memoryCost ||
      parsed.timeCost !== timeCost ||
      parsed.parallelism !== parallelism
    )
  }

  const checkPassword = (password: unknown): string => {
    if (typeof password !== 'string') throw new TypeError('password must be a string')
    return password.normalize('NFKC')
  }

  return {
    hash(password) {
      const normalized = checkPassword(password)
      return semaphore.run(() => run.hash(normalized, params))
    },

    async verify(stored, password) {
      const normalized = checkPassword(password)
      if (typeof stored !== 'string' || !stored.startsWith('$argon2')) {
        return { valid: false, needsRehash: false }
      }
      let valid: boolean
      try {
        valid = await semaphore.run(() => run.verify(stored, normalized))
      } catch (error) {
        // Overload must reach the caller; a stored hash argon2 cannot read is simply no match.
        if (isAuthError(error)) throw error
        return { valid: false, needsRehash: false }
      }
      return { valid, needsRehash: valid && needsRehash(stored) }
    },

    admit(task) {
      return admissions.run(task)
    },

    async verifyDummy(password) {
      const normalized = checkPassword(password)
      dummyHash ??= semaphore
        .run(() => run.hash(randomBytes(32).toString('base64url'), params))
        .catch((error: unknown) => {
          dummyHash = undefined
          throw error
        })
      const stored = await dummyHash
      await semaphore.run(() => run.verify(stored, normalized))
    },
  }
}
