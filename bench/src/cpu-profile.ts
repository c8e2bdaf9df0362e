import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
export interface CpuProfile {
  nodes: {
    id: number
    /** Zero-based line and column, as V8 writes them. */
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }
  }[]
  /** Microseconds on the system's monotonic clock, as `process.hrtime` counts. */
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

/** A share of the busy (non-idle) samples. */
export interface ProfileShare {
  readonly name: string
  /** Percent of busy time. */
  readonly percent: number
}

export interface ProfileSummary {
  /** Busy milliseconds sampled inside the window. */
  readonly busyMs: number
  /** Percent of the window the main thread was idle (waiting for I/O). */
  readonly idlePercent: number
  /** Self time by origin (all of them): a package, Warden's own code, Node's core, GC, native. */
  readonly byOrigin: readonly ProfileShare[]
  /** Self time by function, with its origin and line. */
  readonly byFunction: readonly ProfileShare[]
}

/** The source map beside a bundled file (`<file>.map`), if it has one. */
function siblingSourceMap(url: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')) as never)
  } catch {
    return undefined
  }
}

/**
 * Moves every frame of a bundle (a `file:` URL with a source map beside it, as the server's
 * build writes) to the source it was built from, so that frames are attributed to their package
 * or Warden file as when the sources run. Other frames are kept as they are.
 */
export function mapToSources(
  profile: CpuProfile,
  sourceMapOf: (url: string) => SourceMap | undefined = siblingSourceMap,
): CpuProfile {
  const maps = new Map<string, SourceMap | undefined>()
  const nodes = profile.nodes.map((node) => {
    const { url, lineNumber, columnNumber } = node.callFrame
    if (!url.startsWith('file:') || lineNumber < 0 || columnNumber === undefined) return node
    if (!maps.has(url)) maps.set(url, sourceMapOf(url))
    const entry = maps.get(url)?.findEntry(lineNumber, columnNumber)
    if (entry === undefined || !('originalSource' in entry)) return node
    const source = new URL(entry.originalSource, url).href
    return {
      ...node,
      callFrame: { ...node.callFrame, url: source, lineNumber: entry.originalLine },
    }
  })
  return { ...profile, nodes }
}

const PNPM_PACKAGE = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//
const WORKSPACE = /\/(apps|packages)\/([^/]+)\/src\/(.+)$/

/** Where a frame's code comes from. */
export function originOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame
  if (url === '') {
    if (functionName === '(garbage collector)') return 'V8 garbage collector'
    if (functionName === '(program)') return 'V8 (program)'
    return `native`
  }
  if (url.startsWith('node:')) {
    const module = url.slice('node:'.length).replace(/^internal\//, '')
    return `node:${module.split('/')[0] ?? module}`
  }
  const pkg = PNPM_PACKAGE.exec(url)?.[1]
  if (pkg !== undefined) return pkg
  const workspace = WORKSPACE.exec(url)
  if (workspace !== null) return `warden ${workspace[1]}/${workspace[2]} ${workspace[3]}`
  if (url.startsWith('wasm://')) return 'wasm'
  return url.replace(/^file:\/\//, '')
}

function shares(map: Map<string, number>, total: number, limit: number): ProfileShare[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, time]) => ({ name, percent: Math.round((1000 * time) / total) / 10 }))
}

/**
 * Self time of the samples taken between `fromUs` and `toUs` (monotonic microseconds, the
 * clock of `process.hrtime`), so that start-up and shutdown do not count.
 */
export function summarizeCpuProfile(
  profile: CpuProfile,
  window: { fromUs: number; toUs: number },
  limit = 25,
): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const byOrigin = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let busy = 0
  let idle = 0
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0
    at += delta
    if (at < window.fromUs || at > window.toUs) continue
    const frame = frames.get(profile.samples[i]!)
    if (frame === undefined) continue
    if (frame.functionName === '(idle)') {
      idle += delta
      continue
    }
    busy += delta
    const origin = originOf(frame)
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + delta)
    const name = `${frame.functionName || '(anonymous)'} (${origin}${frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : ''})`
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta)
  }
  return {
    busyMs: Math.round(busy / 1000),
    idlePercent: busy + idle === 0 ? 0 : Math.round((1000 * idle) / (busy + idle)) / 10,
    byOrigin: shares(byOrigin, busy, Number.POSITIVE_INFINITY),
    byFunction: shares(byFunction, busy, limit),
  }
}

/** The layers a request's CPU time is attributed to in the report. */
export type Layer =
  | 'tRPC (resolveResponse, procedure call chain)'
  | 'AbortController / AbortSignal.any'
  | 'Hono, @hono/node-server, Fetch Headers/Response'
  | 'Warden: request log'
  | 'Warden: other code'
  | 'HTTP parsing, socket I/O, other native code'
  | 'garbage collection'
  | 'other'

/** Which layer a frame's origin belongs to (origins as `originOf` names them). */
export function layerOf(origin: string): Layer {
  if (origin === '@trpc/server') return 'tRPC (resolveResponse, procedure call chain)'
  if (origin === 'node:abort_controller') return 'AbortController / AbortSignal.any'
  if (origin === 'hono' || origin === '@hono/node-server' || origin === 'node:deps') {
    return 'Hono, @hono/node-server, Fetch Headers/Response'
  }
  if (origin.startsWith('warden') && origin.endsWith('logger.ts')) return 'Warden: request log'
  if (origin.startsWith('warden')) return 'Warden: other code'
  if (origin === 'V8 garbage collector') return 'garbage collection'
  if (origin === 'native' || /^node:(_http|net|stream|buffer|events|timers|process)/.test(origin)) {
    return 'HTTP parsing, socket I/O, other native code'
  }
  return 'other'
}

/** Busy microseconds per request, by layer. */
export function perRequestByLayer(
  summary: ProfileSummary,
  requests: number,
): Partial<Record<Layer, number>> {
  const layers: Partial<Record<Layer, number>> = {}
  for (const { name, percent } of summary.byOrigin) {
    const layer = layerOf(name)
    const us = (summary.busyMs * 1000 * percent) / 100 / requests
    layers[layer] = (layers[layer] ?? 0) + us
  }
  return layers
}
