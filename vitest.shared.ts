import { defineConfig } from 'vitest/config'

/**
 * The vitest settings every package shares. Each package's `vitest.config.ts` spreads this and
 * names its own JSON report, which `.ci/run` adds up into the closing `N passed, N failed` line.
 */
export const sharedTestConfig = defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    unstubEnvs: true,
  },
})
