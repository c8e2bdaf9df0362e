import { readFileSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

import { NODE_FLAGS } from '../scripts/build.ts'

describe('pnpm start', () => {
  it('runs the build with NODE_FLAGS, the flags the bench and the entry tests run it with', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { scripts: Record<string, string> }
    expect(manifest.scripts['start']).toBe(`node ${NODE_FLAGS.join(' ')} dist/main.node.js`)
  })
})
