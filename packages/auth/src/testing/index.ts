export { forgeToken } from './forge-token.ts'
export type { ForgeTokenInput } from './forge-token.ts'
export { testKeySet } from './test-key-set.ts'
export type { TestKeys } from './test-key-set.ts'
