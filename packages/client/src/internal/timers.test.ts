import { expect, test } from 'vitest'

import { systemTimers } from './timers.ts'

test('the default timers do not keep the process alive', () => {
  const handle = systemTimers.setTimeout(() => undefined, 60_000)
  try {
    expect((handle as { hasRef(): boolean }).hasRef()).toBe(false)
  } finally {
    systemTimers.clearTimeout(handle)
  }
})

test('they fire and can be cancelled', async () => {
  const fired: string[] = []
  const cancelled = systemTimers.setTimeout(() => fired.push('cancelled'), 1)
  systemTimers.clearTimeout(cancelled)
  await new Promise<void>((resolve) => systemTimers.setTimeout(resolve, 5))
  expect(fired).toEqual([])
})
