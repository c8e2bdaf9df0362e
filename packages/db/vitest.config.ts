import { defineConfig, mergeConfig } from 'vitest/config'

import { sharedTestConfig } from '../../vitest.shared.ts'

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      globalSetup: ['./tests/global-setup.ts'],
      // Some tests boot a fresh PGlite (initdb in WASM): seconds alone, far more on a machine
      // that also runs every other package's suite.
      testTimeout: 60_000,
    },
  }),
)
