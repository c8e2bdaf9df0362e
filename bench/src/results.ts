import type { Runtime } from './server-process.ts'

/** A goal's threshold: the figure must be at least (`>=`) or at most (`<=`) `value`. */
export interface Target {
  readonly op: '>=' | '<='
  readonly value: number
}

/** One measured figure, with the goal it answers (if any). */
export interface Figure {
  readonly name: string
  readonly runtime?: Runtime | undefined
  readonly value: number
  readonly unit: string
  /** Absent: reported for information. */
  readonly target?: Target | undefined
  /** Whether the goal holds; absent when there is no target. */
  readonly holds?: boolean | undefined
  /** The measurements behind the figure (medians, samples, counts). */
  readonly detail?: Readonly<Record<string, unknown>> | undefined
}

/** A goal of the issue and everything measured for it. */
export interface GoalResult {
  readonly id: string
  readonly title: string
  readonly figures: readonly Figure[]
  /** Where the time goes, what is left, why a goal is missed; Markdown paragraphs. */
  readonly notes: readonly string[]
  /** Set when the goal could not be measured at all (e.g. a missing benchmark). */
  readonly error?: string | undefined
}

/** A figure with its goal evaluated. */
export function figure(input: Omit<Figure, 'holds'>): Figure {
  const { target } = input
  if (target === undefined) return input
  const holds = target.op === '>=' ? input.value >= target.value : input.value <= target.value
  return { ...input, holds: Number.isFinite(input.value) && holds }
}

/** Whether every figure with a target holds (a goal with an error does not). */
export function goalHolds(goal: GoalResult): boolean {
  return goal.error === undefined && goal.figures.every((f) => f.holds !== false)
}
