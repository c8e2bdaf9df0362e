import { POSTGRES_SKIPPED, testBackends } from '../src/testing/index.ts'

/** Says once per run, not once per file, that the PostgreSQL pass is skipped. */
export function setup(): void {
  if (!testBackends().includes('postgres')) console.warn(`\n${POSTGRES_SKIPPED}\n`)
}
