import { defineConfig, mergeConfig } from 'vitest/config'

import { sharedTestConfig } from '../../vitest.shared.ts'

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      // Type tests (`*.test-d.ts`) run through tsc as part of `vitest run`.
      typecheck: { enabled: true, include: ['tests/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    },
  }),
)
