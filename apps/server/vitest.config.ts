import { configDefaults, defineConfig, mergeConfig } from 'vitest/config'

import { sharedProjectOptions, sharedTestConfig, TEST_FILES } from '../../vitest.shared.ts'

/**
 * Tests whose assertions are about wall-clock time. They run after every other test file of the
 * server has finished, one file at a time, so that the other files' servers and argon2 hashes
 * (and the login storm's) do not share the cores with what they measure.
 */
const CLOCK_TESTS = [
  'tests/attacks/client-timing.test.ts',
  'tests/attacks/login-timing.test.ts',
  'tests/faults/login-storm.test.ts',
]

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      projects: [
        {
          test: {
            ...sharedProjectOptions,
            name: 'server',
            include: TEST_FILES,
            exclude: [...configDefaults.exclude, ...CLOCK_TESTS],
            sequence: { groupOrder: 0 },
          },
        },
        {
          test: {
            ...sharedProjectOptions,
            name: 'clock',
            include: CLOCK_TESTS,
            fileParallelism: false,
            sequence: { groupOrder: 1 },
          },
        },
      ],
    },
  }),
)
