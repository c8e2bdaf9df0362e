// Adds up every vitest JSON report (`*/reports/vitest*.json`) of the last run and prints
// `N passed, N failed`. A suite that failed to load counts as one failure.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

function* reports(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* reports(path)
    else if (/^vitest.*\.json$/.test(entry.name) && dir.endsWith('reports')) yield path
  }
}

let passed = 0
let failed = 0
let files = 0
for (const path of reports('.')) {
  const report = JSON.parse(readFileSync(path, 'utf8'))
  files += 1
  passed += report.numPassedTests
  failed += report.numFailedTests
  if (!report.success && report.numFailedTests === 0) failed += 1
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 || files === 0 ? 1 : 0)
