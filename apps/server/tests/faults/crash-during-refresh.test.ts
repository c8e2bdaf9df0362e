/*
 * The server process is killed (SIGKILL) in the middle of a burst of refreshes over many
 * families, then started again on the same database. The server runs as a child process
 * (`src/main.node.ts` under tsx's loader) on a fresh PostgreSQL database, with a generated key.
 *
 * | after the restart                                   | expected                                   |
 * |-----------------------------------------------------|--------------------------------------------|
 * | each family                                         | rotated or not, never both: one live token, |
 * |                                                     | no child whose parent is unused, one chain |
 * | revoked families                                    | none (nobody presented a stolen token)     |
 * | a client that got 200 before the kill               | continues with the token it received       |
 * | a client whose answer was lost in the kill          | presents its old token again: 200 (the     |
 * |                                                     | same successor if it had been rotated)     |
 * | every client, one more refresh                      | 200: nobody was logged out                 |
 */
import { describe, expect, it } from 'vitest'

import { generateKeySet, hashRefreshToken } from '@warden/auth'
import { createTestDatabase, POSTGRES_SKIPPED } from '@warden/db/testing'

import { spawnWarden, type ChildWarden } from '../../scripts/spawn-warden.ts'
import { auditFamilies, familyProblems } from './family-audit.ts'
import { POSTGRES_FAULTS } from './proxied-warden.ts'

const suite = POSTGRES_FAULTS ? describe : describe.skip
const title = (name: string) => (POSTGRES_FAULTS ? name : `${name} — ${POSTGRES_SKIPPED}`)

const FAMILIES = 40
/** Kills tried until one catches a rotation between its commit and its answer. */
const MAX_KILLS = 3
const PASSWORD = 'correct horse battery staple'

async function post(base: string, procedure: string, input: unknown) {
  const response = await fetch(`${base}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  })
  const body = (await response.json()) as {
    result?: { data: { refreshToken: string; accessToken: string } }
    error?: { data: { authError?: string } }
  }
  return { status: response.status, body }
}

interface Client {
  /** The newest refresh token this client holds. */
  token: string
  /** The answer to its last refresh never arrived (the server died under it). */
  lost: boolean
  rotations: number
}

suite(title('the server killed during a burst of refreshes'), () => {
  it('every family is rotated or not, never both, and every client carries on after the restart', async () => {
    await using database = await createTestDatabase('postgres')
    const env = {
      DATABASE_URL: database.url,
      AUTH_SIGNING_KEYS: JSON.stringify(await generateKeySet('EdDSA')),
      REFRESH_REUSE_INTERVAL: '60',
      // The ready line is an info line.
      LOG_LEVEL: 'info',
    }
    let server: ChildWarden | undefined = await spawnWarden(env)
    try {
      const base = server.url
      expect(
        (await post(base, 'auth.register', { email: 'ada@example.com', password: PASSWORD }))
          .status,
      ).toBe(200)
      const clients: Client[] = []
      for (let i = 0; i < FAMILIES; i += 1) {
        const login = await post(base, 'auth.login', {
          email: 'ada@example.com',
          password: PASSWORD,
        })
        expect(login.status).toBe(200)
        clients.push({
          token: login.body.result?.data.refreshToken ?? '',
          lost: false,
          rotations: 0,
        })
      }

      // Each client refreshes in a loop, as fast as it can, until the server dies under it. A kill
      // that happens to catch no rotation between its commit and its answer tests nothing new:
      // then the server is started again and the burst repeats (every check holds each time).
      let committedButLost = 0
      for (let attempt = 1; attempt <= MAX_KILLS && committedButLost === 0; attempt += 1) {
        if (attempt > 1) server = await spawnWarden(env)
        const url = server.url
        for (const client of clients) client.lost = false
        let successes = 0
        const unexpected: string[] = []
        const burst = clients.map(async (client) => {
          for (;;) {
            let answer: Awaited<ReturnType<typeof post>>
            try {
              answer = await post(url, 'auth.refresh', { refreshToken: client.token })
            } catch {
              client.lost = true
              return
            }
            if (answer.status !== 200 || !answer.body.result) {
              unexpected.push(`${answer.status} ${answer.body.error?.data.authError ?? ''}`)
              return
            }
            client.token = answer.body.result.data.refreshToken
            client.rotations += 1
            successes += 1
          }
        })
        const killed = server
        const deadline = performance.now() + 20_000
        while (successes < 3 * FAMILIES && performance.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
        await killed.stop('SIGKILL')
        await Promise.all(burst)
        expect(unexpected).toEqual([])
        expect(successes).toBeGreaterThanOrEqual(3 * FAMILIES)
        expect(clients.filter((client) => client.lost).length).toBeGreaterThan(0)

        // The database as the dead process left it.
        const now = new Date()
        const left = await auditFamilies(database.kysely, now)
        expect(familyProblems(left)).toEqual([])
        expect(left.size).toBe(FAMILIES)
        expect([...left.values()].filter((state) => state.revokedAt !== null)).toEqual([])
        // Each client's newest token is in the database. A client that got its answer holds the
        // live token; one whose answer was lost holds either the live token (the rotation never
        // committed) or the used parent of the live token (it committed, the answer died).
        for (const client of clients) {
          const row = await database.kysely
            .selectFrom('refresh_token')
            .select(['used_at', 'revoked_at'])
            .where('token_hash', '=', hashRefreshToken(client.token))
            .executeTakeFirstOrThrow()
          expect(row.revoked_at).toBeNull()
          if (!client.lost) expect(row.used_at).toBeNull()
          else if (row.used_at !== null) committedButLost += 1
        }
      }
      // A kill must have caught rotations between their commit and their answer (about a quarter
      // of the 40 in flight, in practice): that is the case this test is about.
      expect(committedButLost).toBeGreaterThan(0)
      server = await spawnWarden(env)
      const restarted = server.url
      for (const [index, client] of clients.entries()) {
        const again = await post(restarted, 'auth.refresh', { refreshToken: client.token })
        expect(
          again.status,
          `client ${index} (lost: ${client.lost}; ${committedButLost} answers lost after commit)`,
        ).toBe(200)
        const next = again.body.result?.data.refreshToken ?? ''
        const onward = await post(restarted, 'auth.refresh', { refreshToken: next })
        expect(onward.status, `client ${index} onward`).toBe(200)
      }
      const after = await auditFamilies(database.kysely, new Date())
      expect(familyProblems(after)).toEqual([])
      expect([...after.values()].filter((state) => state.revokedAt !== null)).toEqual([])
      expect([...after.values()].every((state) => state.live === 1)).toBe(true)
    } finally {
      await server.stop('SIGKILL')
    }
  }, 180_000)
})
