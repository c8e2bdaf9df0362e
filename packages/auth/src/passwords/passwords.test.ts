import { readlinkSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'

import { describe, expect, it } from 'vitest'

import { AuthError, checkPasswordPolicy, createPasswordHasher } from '../index.ts'
import { hashingThreads } from './hashing-threads.ts'

// Tiny parameters keep these tests fast; one test below uses the real ones.
const fast = { memoryCost: 64, timeCost: 1, unsafeTestParameters: true } as const

describe('createPasswordHasher', () => {
  it('hashes with argon2id and OWASP’s parameters by default', async () => {
    const hasher = createPasswordHasher()
    const hash = await hasher.hash('correct horse battery staple')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[\w+/]{22}\$[\w+/]{43}$/)
    expect(await hasher.verify(hash, 'correct horse battery staple')).toEqual({
      valid: true,
      needsRehash: false,
    })
  })

  it.each([
    ['on hashing threads (the default)', {}],
    ['on libuv’s pool at normal priority (nice 0)', { nice: 0 }],
  ])('verifies the right password and refuses a wrong one, %s', async (_, runner) => {
    const hasher = createPasswordHasher({ ...fast, ...runner })
    const hash = await hasher.hash('s3cret-enough-password')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/)
    expect(await hasher.verify(hash, 's3cret-enough-password')).toEqual({
      valid: true,
      needsRehash: false,
    })
    expect(await hasher.verify(hash, 's3cret-enough-passwore')).toEqual({
      valid: false,
      needsRehash: false,
    })
    expect(await hasher.verify('not a hash', 'x')).toEqual({ valid: false, needsRehash: false })
  })

  it('salts: the same password hashes differently each time', async () => {
    const hasher = createPasswordHasher(fast)
    expect(await hasher.hash('same password here')).not.toBe(
      await hasher.hash('same password here'),
    )
  })

  it('normalises to NFKC before hashing and verifying', async () => {
    const hasher = createPasswordHasher(fast)
    const composed = await hasher.hash('caf\u00e9 \ufb01rst password')
    expect((await hasher.verify(composed, 'cafe\u0301 first password')).valid).toBe(true)
  })

  it('reports needsRehash when the stored parameters differ', async () => {
    const old = createPasswordHasher({ ...fast, memoryCost: 32 })
    const current = createPasswordHasher(fast)
    const hash = await old.hash('a password to upgrade')
    expect(await current.verify(hash, 'a password to upgrade')).toEqual({
      valid: true,
      needsRehash: true,
    })
    expect(await current.verify(hash, 'wrong')).toEqual({ valid: false, needsRehash: false })
  })

  it.each([
    ['empty', ''],
    ['garbage', 'not a hash'],
    ['a truncated PHC string', '$argon2id$v=19$m=64,t=1,p=1$c2FsdA'],
    ['bad parameters', '$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'],
    ['a bcrypt hash', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy'],
  ])('answers valid: false for a stored hash that is %s', async (_, stored) => {
    const hasher = createPasswordHasher(fast)
    expect(await hasher.verify(stored, 'whatever')).toEqual({ valid: false, needsRehash: false })
  })

  it('verifyDummy spends a verification and resolves, repeatedly', async () => {
    const hasher = createPasswordHasher(fast)
    await expect(hasher.verifyDummy('anything at all')).resolves.toBeUndefined()
    await expect(hasher.verifyDummy('')).resolves.toBeUndefined()
  })

  it('fails fast with overloaded beyond maxConcurrent running and maxQueue waiting', async () => {
    const hasher = createPasswordHasher({ ...fast, maxConcurrent: 1, maxQueue: 1 })
    // Argon2 runs on another thread, so neither of these can finish before the next line.
    const running = hasher.hash('first password!')
    const queued = hasher.verify(
      '$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhcw',
      'x',
    )
    const refused: unknown = await hasher.hash('third').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthError)
    expect(refused).toMatchObject({ code: 'overloaded' })
    await expect(hasher.verifyDummy('x')).rejects.toMatchObject({ code: 'overloaded' })
    await Promise.all([running, queued])
    await expect(hasher.hash('after the load')).resolves.toMatch(/^\$argon2id\$/)
  })

  it('admits as many operations at once as verifications can run and wait, refusing the rest before they start', async () => {
    const hasher = createPasswordHasher({ ...fast, maxConcurrent: 1, maxQueue: 2 })
    const gates = Array.from({ length: 3 }, () => {
      let open!: () => void
      const opened = new Promise<void>((resolve) => {
        open = resolve
      })
      return { open, opened }
    })
    const started: number[] = []
    const admitted = gates.map((gate, i) =>
      hasher.admit(async () => {
        started.push(i)
        await gate.opened
        return i
      }),
    )
    let ran = false
    const refused: unknown = await hasher
      .admit(() => {
        ran = true
        return Promise.resolve(-1)
      })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AuthError)
    expect(refused).toMatchObject({ code: 'overloaded', retryAfter: 1 })
    expect(ran).toBe(false)
    // Admission is a count, not a queue: the admitted operations all run at once.
    expect(started).toEqual([0, 1, 2])
    // Verifications are still bounded by the hasher's own queue, independently.
    await expect(hasher.verifyDummy('while admitted')).resolves.toBeUndefined()
    for (const gate of gates) gate.open()
    expect(await Promise.all(admitted)).toEqual([0, 1, 2])
    // A failed operation gives its place back.
    await expect(hasher.admit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(hasher.admit(() => Promise.resolve('after'))).resolves.toBe('after')
  })

  it.each([
    ['memoryCost under 19456', { memoryCost: 19_455 }],
    ['timeCost under 2', { timeCost: 1 }],
    ['parallelism 0', { parallelism: 0 }],
    ['parallelism 256', { parallelism: 256 }],
    ['maxConcurrent 0', { maxConcurrent: 0 }],
    ['a negative maxQueue', { maxQueue: -1 }],
    ['a fractional memoryCost', { memoryCost: 20_000.5 }],
    ['a negative nice', { nice: -1 }],
    ['nice 20', { nice: 20 }],
    ['a fractional nice', { nice: 2.5 }],
  ])('refuses %s with a TypeError', (_, options) => {
    expect(() => createPasswordHasher(options)).toThrow(TypeError)
  })

  it('allows weak parameters only with unsafeTestParameters', () => {
    expect(() => createPasswordHasher({ memoryCost: 64, timeCost: 1 })).toThrow(TypeError)
    expect(() => createPasswordHasher(fast)).not.toThrow()
  })
})

/** Linux: the nice value of each of this process's threads, by thread id. */
async function threadNiceValues(): Promise<Map<number, number>> {
  const values = new Map<number, number>()
  for (const tid of await readdir('/proc/self/task')) {
    const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => undefined)
    // Fields after the command name (which may hold spaces): state is field 3, nice field 19.
    const nice = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[16]
    if (nice !== undefined) values.set(Number(tid), Number(nice))
  }
  return values
}

describe('password hashing threads', () => {
  it.runIf(process.platform === 'linux')(
    'run argon2id at the nice value asked for, leaving the calling thread and the main thread as they were',
    async () => {
      const self = readlinkSync('/proc/thread-self')
      const caller = Number(self.slice(self.lastIndexOf('/') + 1))
      const before = await threadNiceValues()
      // 13: no other hasher of this process asks for it.
      const hasher = createPasswordHasher({ ...fast, nice: 13 })
      const hash = await hasher.hash('a password hashed on a low thread')
      expect((await hasher.verify(hash, 'a password hashed on a low thread')).valid).toBe(true)
      const after = await threadNiceValues()
      // The hashing thread, and on Bun the collector threads it starts (they inherit its value).
      const lowered = [...after].filter(([tid, nice]) => nice === 13 && before.get(tid) !== 13)
      expect(lowered.length).toBeGreaterThan(0)
      expect(lowered.map(([tid]) => tid)).not.toContain(caller)
      expect(lowered.map(([tid]) => tid)).not.toContain(process.pid)
      // No thread that was there before (the caller, the main thread, the others) changed.
      for (const [tid, nice] of before) {
        if (after.has(tid)) expect([tid, after.get(tid)]).toEqual([tid, nice])
      }
    },
  )

  it('share one thread per CPU at most between the hashers of a priority', async () => {
    const hashers = Array.from({ length: 3 }, () =>
      createPasswordHasher({ ...fast, nice: 17, maxConcurrent: 64 }),
    )
    const passwords = Array.from({ length: 12 }, (_, i) => `shared thread password ${i}`)
    const hashes = await Promise.all(passwords.map((p, i) => hashers[i % 3]!.hash(p)))
    expect(hashes.every((h) => h.startsWith('$argon2id$v=19$m=64,t=1,p=1$'))).toBe(true)
    // The threads are counted by their pool, not by nice value: on Bun a hashing thread's
    // collector threads run at its priority too.
    const pool = hashingThreads(17, 1)
    expect(pool).toBe(hashingThreads(17, 64))
    expect(pool.threads).toBeGreaterThan(0)
    expect(pool.threads).toBeLessThanOrEqual(availableParallelism())
  })
})

describe('checkPasswordPolicy', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(checkPasswordPolicy('purple monkey dishwasher')).toEqual({
      ok: true,
      normalized: 'purple monkey dishwasher',
    })
  })

  it('counts code points, not UTF-16 units', () => {
    expect(checkPasswordPolicy('🙂'.repeat(11))).toEqual({ ok: false, reason: 'too_short' })
    expect(checkPasswordPolicy('🙂'.repeat(12)).ok).toBe(true)
    expect(checkPasswordPolicy('🙂'.repeat(256)).ok).toBe(true)
    expect(checkPasswordPolicy('🙂'.repeat(257))).toEqual({ ok: false, reason: 'too_long' })
  })

  it('refuses 11 characters and accepts 12', () => {
    expect(checkPasswordPolicy('abcdefghijk')).toEqual({ ok: false, reason: 'too_short' })
    expect(checkPasswordPolicy('abcdefghijkz').ok).toBe(true)
  })

  it('returns the NFKC form', () => {
    expect(checkPasswordPolicy('ｆｕｌｌｗｉｄｔｈ ｐａｓｓ')).toEqual({
      ok: true,
      normalized: 'fullwidth pass',
    })
  })

  it.each([
    'password1234',
    'PASSWORD1234',
    'passwordpassword',
    'iloveyou1234',
    '1qaz2wsx3edc',
    'ｐａｓｓｗｏｒｄ１２３４',
  ])('refuses the common password %j', (password) => {
    expect(checkPasswordPolicy(password)).toEqual({ ok: false, reason: 'common' })
  })

  it('refuses a password containing the e-mail’s local part or a name', () => {
    expect(checkPasswordPolicy('my-name-is-alice-ok', { context: ['alice@example.com'] })).toEqual({
      ok: false,
      reason: 'contains_context',
    })
    expect(
      checkPasswordPolicy('I really am SMITH forever', { context: ['john.smith@example.com'] }),
    ).toEqual({
      ok: false,
      reason: 'contains_context',
    })
    expect(checkPasswordPolicy('warden warden warden', { context: ['Warden'] })).toEqual({
      ok: false,
      reason: 'contains_context',
    })
  })

  it('ignores context words under 4 characters and the e-mail domain', () => {
    expect(checkPasswordPolicy('bob likes long walks', { context: ['bob@example.com'] }).ok).toBe(
      true,
    )
    expect(
      checkPasswordPolicy('an example of a passphrase', { context: ['zed.quux@example.com'] }).ok,
    ).toBe(true)
  })
})
