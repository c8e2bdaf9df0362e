import { createTestDatabase } from '@warden/db/testing'

import { runLoginStorm, stormFigures } from './goals/login-storm-goal.ts'

process.env['DATABASE_URL'] ??= 'postgres://postgres@127.0.0.1:5432/test'
await using db = await createTestDatabase('postgres')
const runs = await runLoginStorm({
  runtimes: [(process.argv[2] ?? 'node') as 'node'],
  databaseUrl: db.url,
  rate: 200,
  durationSec: Number(process.argv[3] ?? 3),
  rounds: 2,
  concurrentLogins: 200,
})
for (const f of stormFigures(runs))
  console.log(f.runtime, f.name, f.value, f.holds, JSON.stringify(f.detail))
