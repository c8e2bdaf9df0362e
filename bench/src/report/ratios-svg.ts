import type { Figure, GoalResult } from '../results.ts'

const WIDTH = 760
const LABEL_WIDTH = 330
const BAR_AREA = WIDTH - LABEL_WIDTH - 90
const ROW = 22
const TOP = 46

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The figures drawn: ratios (`×` units) that have a goal. */
export function chartedFigures(goals: readonly GoalResult[]): { goal: string; figure: Figure }[] {
  return goals.flatMap((goal) =>
    goal.figures
      .filter((f) => f.target !== undefined && f.unit.startsWith('×') && Number.isFinite(f.value))
      .map((figure) => ({ goal: goal.id, figure })),
  )
}

/**
 * A hand-written horizontal bar chart: one row per ratio, the bar its measured value, the dark
 * tick its goal; green when the goal holds, red when it does not. Each row has its own scale
 * (the larger of value and goal, plus a quarter), so ratios near 1 and near 0.01 both read.
 */
export function ratiosSvg(goals: readonly GoalResult[], caption: string): string {
  const rows = chartedFigures(goals)
  const height = TOP + rows.length * ROW + 30
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Warden benchmark ratios against their goals</text>`,
    `<text x="10" y="34" fill="#555">${escape(caption)} — bar: measured; dark tick: goal; green: goal holds</text>`,
  ]
  rows.forEach(({ goal, figure }, i) => {
    const y = TOP + i * ROW
    const target = figure.target?.value ?? 0
    const scale = Math.max(figure.value, target) * 1.25
    const barWidth = (figure.value / scale) * BAR_AREA
    const goalX = LABEL_WIDTH + (target / scale) * BAR_AREA
    const color = figure.holds === true ? '#2e9d5b' : '#d14b3f'
    const label = `${goal} ${figure.runtime === undefined ? '' : `${figure.runtime} `}${figure.name}`
    const op = figure.target?.op === '<=' ? '≤' : '≥'
    parts.push(
      `<text x="${LABEL_WIDTH - 6}" y="${y + 14}" text-anchor="end">${escape(label.length > 58 ? `${label.slice(0, 57)}…` : label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 4}" width="${barWidth.toFixed(1)}" height="${ROW - 8}" fill="${color}"/>`,
      `<line x1="${goalX.toFixed(1)}" x2="${goalX.toFixed(1)}" y1="${y + 1}" y2="${y + ROW - 1}" stroke="#222" stroke-width="2"/>`,
      `<text x="${LABEL_WIDTH + BAR_AREA + 8}" y="${y + 14}">${figure.value} ${escape(figure.unit)} (${op} ${target})</text>`,
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
