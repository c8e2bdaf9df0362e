import { expect, test, vi } from 'vitest'

import { createServerClock } from './server-clock.ts'

const at = (ms: number) => ({ now: () => ms })

test('without a Date header the server is assumed to agree with the device', () => {
  expect(createServerClock(at(1_000)).now()).toBe(1_000)
})

test('a Date header sets the offset to the middle of its one-second window', () => {
  const device = Date.UTC(2020, 0, 1)
  const server = createServerClock(at(device))

  server.observe(new Date(Date.UTC(2030, 0, 1)).toUTCString())

  expect(server.now()).toBe(Date.UTC(2030, 0, 1) + 500)
})

test('samples within the header resolution keep the estimate; a jump replaces it', () => {
  let device = 0
  const onShift = vi.fn()
  const server = createServerClock({ now: () => device }, onShift)
  server.observe(new Date(10_000).toUTCString())
  expect(onShift).toHaveBeenCalledTimes(1)

  device = 1_400
  server.observe(new Date(11_000).toUTCString())
  expect(server.now()).toBe(1_400 + 10_500)

  device = 2_000
  server.observe(new Date(70_000).toUTCString())
  expect(server.now()).toBe(70_500)
  expect(onShift).toHaveBeenCalledTimes(2)
})

test.each([null, '', 'yesterday', 'Thu, 32 Foo 2030 99:00:00 GMT'])('%j is ignored', (header) => {
  const server = createServerClock(at(5_000))
  server.observe(header)
  expect(server.now()).toBe(5_000)
})
