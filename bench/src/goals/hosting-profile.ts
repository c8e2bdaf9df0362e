import { perRequestByLayer, type Layer, type ProfileShare } from '../cpu-profile.ts'
import { profileRoute } from '../profile-route.ts'
import type { Runtime } from '../server-process.ts'
import { round } from '../stats.ts'

/** Where one route's CPU time goes, per request, from a profile of a closed-loop run. */
export interface RouteProfile {
  readonly runtime: Runtime
  readonly path: string
  readonly rps: number
  /** Busy CPU microseconds per request on the server's main thread. */
  readonly busyUsPerRequest: number
  readonly idlePercent: number
  readonly layers: Partial<Record<Layer, number>>
  readonly topFunctions: readonly ProfileShare[]
}

const ROUTES = [
  { path: '/health', withToken: false },
  { path: '/trpc/system.info', withToken: false },
  { path: '/trpc/system.whoami', withToken: true },
] as const

/**
 * The profile notes of goal 2: `/health`, `system.info` and `system.whoami` (cache hits) on the
 * Node server, each profiled on its own, attributed per request to tRPC, the abort signals tRPC
 * creates, Hono and its Node adapter, Warden's code, Node's HTTP stack and the garbage collector.
 */
export async function profileHosting(settings: {
  runtime: Runtime
  databaseUrl: string
  durationSec: number
}): Promise<RouteProfile[]> {
  const profiles: RouteProfile[] = []
  for (const route of ROUTES) {
    const { rps, summary } = await profileRoute({
      runtime: settings.runtime,
      databaseUrl: settings.databaseUrl,
      path: route.path,
      durationSec: settings.durationSec,
      withToken: route.withToken,
    })
    const requests = rps * settings.durationSec
    const layers = perRequestByLayer(summary, requests)
    profiles.push({
      runtime: settings.runtime,
      path: route.path,
      rps: Math.round(rps),
      busyUsPerRequest: round((summary.busyMs * 1000) / requests, 1),
      idlePercent: summary.idlePercent,
      layers: Object.fromEntries(
        Object.entries(layers).map(([layer, us]) => [layer, round(us, 1)]),
      ),
      topFunctions: summary.byFunction.slice(0, 15),
    })
  }
  return profiles
}

const LAYER_ORDER: readonly Layer[] = [
  'HTTP parsing, socket I/O, other native code',
  'Hono, @hono/node-server, Fetch Headers/Response',
  'tRPC (resolveResponse, procedure call chain)',
  'AbortController / AbortSignal.any',
  'Warden: other code',
  'Warden: request log',
  'garbage collection',
  'other',
]

/** A Markdown table: CPU microseconds per request by layer, one column per profiled route. */
export function layerTable(profiles: readonly RouteProfile[]): string {
  const head = `| layer | ${profiles.map((p) => `\`${p.path}\``).join(' | ')} |`
  const rule = `|---|${profiles.map(() => '---:').join('|')}|`
  const rows = LAYER_ORDER.map(
    (layer) =>
      `| ${layer} | ${profiles.map((p) => (p.layers[layer] ?? 0).toFixed(1)).join(' | ')} |`,
  )
  const total = `| **busy CPU µs per request** | ${profiles.map((p) => `**${p.busyUsPerRequest.toFixed(1)}**`).join(' | ')} |`
  const rps = `| requests/s while profiled (idle %) | ${profiles.map((p) => `${p.rps} (${p.idlePercent} %)`).join(' | ')} |`
  return [head, rule, ...rows, total, rps].join('\n')
}

/** The top self-time functions of one profiled route, as a Markdown list. */
export function topFunctions(profile: RouteProfile, count = 12): string {
  return profile.topFunctions
    .slice(0, count)
    .map((f) => `  - ${f.percent} % ${f.name.replace(/\|/g, '\\|')}`)
    .join('\n')
}
