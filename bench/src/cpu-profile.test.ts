import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

import {
  layerOf,
  mapToSources,
  originOf,
  perRequestByLayer,
  summarizeCpuProfile,
  type CpuProfile,
} from './cpu-profile.ts'

const PNPM = 'file:///work/main/node_modules/.pnpm'

function frame(id: number, functionName: string, url: string) {
  return { id, callFrame: { functionName, url, lineNumber: 9 } }
}

// Samples at 1000 µs intervals from t = 1000: idle, tRPC, tRPC, writev, Warden, idle, tRPC.
const profile: CpuProfile = {
  nodes: [
    frame(1, '(idle)', ''),
    frame(2, 'callRecursive', `${PNPM}/@trpc+server@11.25.2/node_modules/@trpc/server/dist/x.mjs`),
    frame(3, 'writev', ''),
    frame(4, 'answerSingleCall', 'file:///work/main/apps/server/src/http/trpc.ts'),
  ],
  startTime: 0,
  endTime: 8000,
  samples: [1, 2, 2, 3, 4, 1, 2],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000],
}

describe('summarizeCpuProfile', () => {
  it('counts only the window, keeps idle apart, and shares self time by origin and function', () => {
    const summary = summarizeCpuProfile(profile, { fromUs: 1500, toUs: 6500 })
    // In the window: t = 2000..6000 → tRPC, tRPC, writev, Warden, idle.
    expect(summary.busyMs).toBe(4)
    expect(summary.idlePercent).toBe(20)
    expect(summary.byOrigin).toEqual([
      { name: '@trpc/server', percent: 50 },
      { name: 'native', percent: 25 },
      { name: 'warden apps/server http/trpc.ts', percent: 25 },
    ])
    expect(summary.byFunction[0]).toEqual({ name: 'callRecursive (@trpc/server:10)', percent: 50 })
  })

  it('lists at most `limit` functions', () => {
    expect(summarizeCpuProfile(profile, { fromUs: 0, toUs: 9000 }, 1).byFunction).toHaveLength(1)
  })
})

describe('originOf and layerOf', () => {
  it('names packages, Warden files, Node modules and V8 pseudo-frames', () => {
    expect(
      originOf({ functionName: 'x', url: `${PNPM}/hono@4.13.19/node_modules/hono/dist/a.js` }),
    ).toBe('hono')
    expect(originOf({ functionName: 'x', url: 'node:internal/abort_controller' })).toBe(
      'node:abort_controller',
    )
    expect(originOf({ functionName: '(garbage collector)', url: '' })).toBe('V8 garbage collector')
    expect(
      originOf({ functionName: 'f', url: 'file:///work/main/packages/api/src/context.ts' }),
    ).toBe('warden packages/api context.ts')
  })

  it('puts every origin in one layer', () => {
    expect(layerOf('@trpc/server')).toBe('tRPC (resolveResponse, procedure call chain)')
    expect(layerOf('node:abort_controller')).toBe('AbortController / AbortSignal.any')
    expect(layerOf('warden apps/server logger.ts')).toBe('Warden: request log')
    expect(layerOf('warden packages/api context.ts')).toBe('Warden: other code')
    expect(layerOf('node:_http_server')).toBe('HTTP parsing, socket I/O, other native code')
    expect(layerOf('zod')).toBe('other')
  })

  it('spreads busy time over the requests', () => {
    const summary = summarizeCpuProfile(profile, { fromUs: 1500, toUs: 6500 })
    // 4 ms busy over 8 requests: 250 µs each for tRPC, 125 µs for native and for Warden.
    expect(perRequestByLayer(summary, 8)).toEqual({
      'tRPC (resolveResponse, procedure call chain)': 250,
      'HTTP parsing, socket I/O, other native code': 125,
      'Warden: other code': 125,
    })
  })
})

describe('mapToSources', () => {
  it("moves a bundle's frames to their sources through the bundle's source map", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-source-map-'))
    try {
      writeFileSync(join(dir, 'a.ts'), 'export function inA(): number {\n  return 1\n}\n')
      writeFileSync(
        join(dir, 'entry.ts'),
        "import { inA } from './a.ts'\n\nexport function inEntry(): number {\n  return inA() + 1\n}\n",
      )
      const outfile = join(dir, 'dist', 'out.js')
      await build({
        entryPoints: [join(dir, 'entry.ts')],
        outfile,
        bundle: true,
        format: 'esm',
        sourcemap: 'linked',
        logLevel: 'silent',
      })
      const code = await readFile(outfile, 'utf8')
      // Where V8 would place each function in the bundle (zero-based line and column).
      const at = (name: string) => {
        const lines = code.slice(0, code.indexOf(`function ${name}`)).split('\n')
        return { lineNumber: lines.length - 1, columnNumber: lines.at(-1)?.length ?? 0 }
      }
      const bundle = pathToFileURL(outfile).href
      const unmapped = pathToFileURL(join(dir, 'no-map.js')).href
      const mapped = mapToSources({
        nodes: [
          { id: 1, callFrame: { functionName: 'inA', url: bundle, ...at('inA') } },
          { id: 2, callFrame: { functionName: 'inEntry', url: bundle, ...at('inEntry') } },
          {
            id: 3,
            callFrame: { functionName: 'f', url: unmapped, lineNumber: 4, columnNumber: 2 },
          },
          { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
        ],
        startTime: 0,
        endTime: 1,
        samples: [],
        timeDeltas: [],
      })
      expect(mapped.nodes.map(({ callFrame }) => [callFrame.url, callFrame.lineNumber])).toEqual([
        [pathToFileURL(join(dir, 'a.ts')).href, 0],
        [pathToFileURL(join(dir, 'entry.ts')).href, 2],
        [unmapped, 4],
        ['', -1],
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
