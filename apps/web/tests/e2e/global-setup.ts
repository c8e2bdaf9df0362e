import { fileURLToPath } from 'node:url'

import { build } from 'vite'

import { chromiumFound, SKIP_MESSAGE } from './chromium.ts'

const webRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Builds the web app once for the browser tests, which have the server serve `dist/` as
 * `pnpm start` does. Without Chromium there is nothing to build for: say so and skip.
 */
export async function setup(): Promise<void> {
  if (!chromiumFound) {
    process.stdout.write(`\n${SKIP_MESSAGE}\n\n`)
    return
  }
  await build({ root: webRoot, configFile: `${webRoot}vite.config.ts`, logLevel: 'warn' })
}
