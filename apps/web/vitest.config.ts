import { defineConfig, mergeConfig } from 'vitest/config'

import { sharedTestConfig } from '../../vitest.shared.ts'

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      // Builds dist/ for the browser tests, or says they are skipped when Chromium is missing.
      globalSetup: ['tests/e2e/global-setup.ts'],
      // Each browser test file runs a server and a Chromium: one file at a time on two cores.
      fileParallelism: false,
    },
  }),
)
