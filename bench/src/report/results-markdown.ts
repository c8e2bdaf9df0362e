import { goalHolds, type Figure, type GoalResult } from '../results.ts'

/** Where and how the figures were measured: the head of the report. */
export interface RunInfo {
  readonly date: string
  readonly quick: boolean
  readonly seconds: number
  /** Each benchmark step and its wall time, in the order they ran. */
  readonly steps: readonly { readonly name: string; readonly seconds: number }[]
  readonly machine: {
    readonly cpu: string
    readonly cores: number
    readonly memoryGb: number
    readonly loadBefore: readonly number[]
    readonly loadAfter: readonly number[]
  }
  readonly versions: Readonly<Record<string, string>>
  readonly method: readonly string[]
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, inner]) => `${key}: ${formatValue(inner)}`)
      .join(', ')
  }
  return String(value)
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

function goalText(figure: Figure): string {
  if (figure.target === undefined) return 'info'
  return `${figure.target.op === '>=' ? '≥' : '≤'} ${figure.target.value}`
}

function holdsText(figure: Figure): string {
  if (figure.holds === undefined) return '–'
  return figure.holds ? '✓' : '✗'
}

function figureTable(figures: readonly Figure[]): string[] {
  const lines = [
    '| figure | runtime | value | goal | holds | measured |',
    '|---|---|---|---|---|---|',
  ]
  for (const f of figures) {
    lines.push(
      `| ${cell(f.name)} | ${f.runtime ?? '–'} | ${f.value} ${cell(f.unit)} | ${goalText(f)} | ${holdsText(f)} | ${cell(f.detail === undefined ? '' : formatValue(f.detail))} |`,
    )
  }
  return lines
}

/** RESULTS.md: the run, a summary, then a table and the notes of every goal. */
export function resultsMarkdown(run: RunInfo, goals: readonly GoalResult[]): string {
  const m = run.machine
  const lines: string[] = [
    '# Warden benchmark results',
    '',
    `Written by \`pnpm bench\` (\`bench/src/run-all.ts\`); this file, \`results.json\` and \`ratios.svg\` are the record of the last run.`,
    '',
    `- **Run:** ${run.date}${run.quick ? ' — **quick mode** (`BENCH_QUICK=1`: shorter runs, fewer rounds, scaled-down memory run)' : ''}, ${run.seconds} s in all${run.steps.length === 0 ? '' : ` (${run.steps.map((step) => `${step.name} ${step.seconds} s`).join(', ')})`}`,
    `- **Machine:** ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; load average (1, 5, 15 min) ${m.loadBefore.join(', ')} before, ${m.loadAfter.join(', ')} after (other engineers' test suites share the machine)`,
    `- **Versions:** ${Object.entries(run.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    '',
    '## How it is measured',
    '',
    ...run.method.map((line) => `- ${line}`),
    '',
    '## Summary',
    '',
    '| goal | holds |',
    '|---|---|',
    ...goals.map(
      (g) =>
        `| ${g.id}: ${cell(g.title)} | ${g.error === undefined ? (goalHolds(g) ? '✓' : '✗') : `not measured: ${cell(g.error)}`} |`,
    ),
    '',
    '![Ratios against their goals](ratios.svg)',
    '',
  ]
  for (const goal of goals) {
    lines.push(`## ${goal.id}: ${goal.title}`, '')
    if (goal.error !== undefined) lines.push(`**Not measured:** ${goal.error}`, '')
    if (goal.figures.length > 0) lines.push(...figureTable(goal.figures), '')
    for (const note of goal.notes) lines.push(note, '')
  }
  return `${lines.join('\n').trimEnd()}\n`
}
