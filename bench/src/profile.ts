/**
 * Where the Node server spends its time on one route under load: a CPU profile of the load
 * window, printed as self time by origin and by function.
 *
 * Run: pnpm --filter @warden/bench profile [path] [seconds] [--token] [--bun] [--top=N]
 */
import { profileRoute } from './profile-route.ts'

const args = process.argv.slice(2)
const path = args.find((arg) => arg.startsWith('/')) ?? '/trpc/system.info'
const seconds = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 5)
const { rps, summary } = await profileRoute({
  runtime: args.includes('--bun') ? 'bun' : 'node',
  path,
  durationSec: seconds,
  withToken: args.includes('--token'),
  limit: Number(args.find((arg) => arg.startsWith('--top='))?.slice('--top='.length) ?? 25),
})
console.log(`${path}: ${Math.round(rps)} requests/s; ${summary.idlePercent}% idle\n`)
console.log('self time by origin')
for (const share of summary.byOrigin)
  console.log(`${String(share.percent).padStart(6)}%  ${share.name}`)
console.log('\nself time by function')
for (const share of summary.byFunction) {
  console.log(`${String(share.percent).padStart(6)}%  ${share.name}`)
}
