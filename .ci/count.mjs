// Adds up every vitest JSON report (`*/reports/vitest*.json`) of the last run and prints
// `N passed, N failed`. A suite that failed to load counts as one failure. Each failure is named
// just above that line, with the first line of its message: CI may show only the log's tail.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

function* reports(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* reports(path)
    else if (/^vitest.*\.json$/.test(entry.name) && dir.endsWith('reports')) yield path
  }
}

const firstLine = (text) => (text ?? '').trim().split('\n', 1)[0].slice(0, 300)

let passed = 0
let failed = 0
let files = 0
const failures = []
for (const path of reports('.')) {
  const report = JSON.parse(readFileSync(path, 'utf8'))
  files += 1
  passed += report.numPassedTests
  failed += report.numFailedTests
  if (!report.success && report.numFailedTests === 0) failed += 1
  for (const suite of report.testResults ?? []) {
    const file = relative(process.cwd(), suite.name ?? '')
    const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === 'failed')
    for (const test of failedTests) {
      failures.push(`${file} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`)
    }
    if (suite.status === 'failed' && failedTests.length === 0) {
      failures.push(`${file}: ${firstLine(suite.message) || 'the suite failed'}`)
    }
  }
}
for (const failure of failures) console.log(`::: failed: ${failure}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed > 0 || files === 0 ? 1 : 0)
