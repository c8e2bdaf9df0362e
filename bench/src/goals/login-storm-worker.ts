/**
 * The login storm of goal 5, in its own process so that sending and answering hundreds of logins
 * does not delay the event loop that times `system.whoami` (a measurement artefact otherwise).
 * Given its `StormWorkerData` by IPC, it keeps `concurrentLogins` logins in flight at all times —
 * each client sends its next login as soon as its last one is answered — until the parent sends
 * `'stop'`, then sends back its `LoginOutcomes` and exits. (Sending them in waves instead, a new
 * wave of 200 once all of the last one are answered, would leave only the few logins a
 * single IP gets queued in flight for most of the storm.)
 */
import { once } from 'node:events'

import { round } from '../stats.ts'
import type { LoginOutcomes, StormWorkerData } from './login-storm-goal.ts'

const LOGIN_TIMEOUT_MS = 30_000

const [data] = (await once(process, 'message')) as [StormWorkerData]
const byStatus: Record<string, number> = {}
const maxMsByStatus: Record<string, number> = {}
let total = 0
let failed = 0
let sent = 0
const state = { stopping: false }

const nextIp = () => {
  if (data.ips === 'single') return '198.51.100.7'
  const n = data.ipOffset + sent
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
}

async function login() {
  const started = performance.now()
  const ip = nextIp()
  sent++
  try {
    const response = await fetch(`${data.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { ...data.headers, 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ email: data.email, password: data.password }),
      signal: AbortSignal.timeout(LOGIN_TIMEOUT_MS),
    })
    await response.arrayBuffer()
    const status = String(response.status)
    byStatus[status] = (byStatus[status] ?? 0) + 1
    maxMsByStatus[status] = Math.max(
      maxMsByStatus[status] ?? 0,
      round(performance.now() - started, 1),
    )
  } catch {
    failed++
  }
  total++
}

process.once('message', () => {
  state.stopping = true
})

// `concurrentLogins` clients, each sending its next login as soon as the last is answered.
await Promise.all(
  Array.from({ length: data.concurrentLogins }, async () => {
    while (!state.stopping) await login()
  }),
)
const outcomes: LoginOutcomes = { total, byStatus, maxMsByStatus, failed }
process.send?.(outcomes, () => process.exit(0))
