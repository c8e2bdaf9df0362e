import { defineConfig } from 'vitest/config'

/** Where every package keeps its tests. */
export const TEST_FILES = ['src/**/*.test.ts', 'tests/**/*.test.ts']

/** The per-project settings every package shares (a package's own projects spread these). */
export const sharedProjectOptions = {
  testTimeout: 20_000,
  hookTimeout: 60_000,
  restoreMocks: true,
  unstubEnvs: true,
}

/**
 * The vitest settings every package shares. Each package's `vitest.config.ts` spreads this and
 * names its own JSON report, which `.ci/run` adds up into the closing `N passed, N failed` line.
 */
export const sharedTestConfig = defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    include: TEST_FILES,
    ...sharedProjectOptions,
  },
})
