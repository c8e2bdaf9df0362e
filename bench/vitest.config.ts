import { defineConfig, mergeConfig } from 'vitest/config'

import { sharedTestConfig } from '../vitest.shared.ts'

// Unit tests of the bench's own helpers; the benchmarks themselves never run under vitest.
export default mergeConfig(sharedTestConfig, defineConfig({}))
