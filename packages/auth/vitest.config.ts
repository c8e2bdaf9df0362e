import { defineConfig, mergeConfig } from 'vitest/config'

import { sharedTestConfig } from '../../vitest.shared.ts'

// `test:bun` runs the same suite under Bun. Its JSON report goes to a file of its own, so that
// CI counts both runs instead of the second overwriting the first (the reporter's outputFile
// wins over the --outputFile flag, and mergeConfig would append a second reporter).
const shared =
  process.versions['bun'] === undefined
    ? sharedTestConfig
    : {
        ...sharedTestConfig,
        test: {
          ...sharedTestConfig.test,
          reporters: ['default', ['json', { outputFile: 'reports/vitest-bun.json' }]] as const,
        },
      }

export default mergeConfig(shared, defineConfig({}))
