import { expect, expectTypeOf, it } from 'vitest'

import {
  listAuditEvents,
  recordAuditEvent,
  type AuditEventType,
  type NewAuditEvent,
} from '../src/index.ts'
import { at, describeBackends, makeUser, T0, useTestDatabase } from './helpers.ts'

describeBackends('audit events', (backend) => {
  const getDb = useTestDatabase(backend)

  it('records events with their details and lists them in order', async () => {
    const db = getDb()
    const user = await makeUser(db)
    await recordAuditEvent(db.kysely, {
      type: 'login_failed',
      at: at(2),
      ip: '203.0.113.5',
      reason: 'wrong_password',
      details: { attempt: 3, locked: false, note: null },
    })
    await recordAuditEvent(db.kysely, { type: 'login_succeeded', at: at(1), actorUserId: user.id })
    await recordAuditEvent(db.kysely, {
      type: 'client_token_issued',
      at: at(3),
      actorClientId: 'reports',
    })

    const events = await listAuditEvents(db.kysely)
    expect(events.map((event) => event.type)).toEqual([
      'login_succeeded',
      'login_failed',
      'client_token_issued',
    ])
    expect(events[1]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      type: 'login_failed',
      at: at(2),
      actorUserId: null,
      actorClientId: null,
      ip: '203.0.113.5',
      reason: 'wrong_password',
      familyId: null,
      details: { attempt: 3, locked: false, note: null },
    })
    expect((await listAuditEvents(db.kysely, { since: at(2) })).map((e) => e.type)).toEqual([
      'login_failed',
      'client_token_issued',
    ])
    expect((await listAuditEvents(db.kysely, { type: 'login_succeeded' }))[0]?.actorUserId).toBe(
      user.id,
    )
    expect(await listAuditEvents(db.kysely, { limit: 1 })).toHaveLength(1)
  })

  it('refuses unknown types, bad ids, non-finite numbers and silly limits', async () => {
    const db = getDb()
    const bad: NewAuditEvent[] = [
      { type: 'token_dumped' as AuditEventType, at: T0 },
      { type: 'logout', at: T0, actorUserId: 'someone' },
      { type: 'logout', at: T0, familyId: 'family' },
      { type: 'logout', at: T0, details: { n: Number.NaN } },
      { type: 'logout', at: T0, details: { big: 'x'.repeat(5000) } },
      { type: 'logout', at: new Date(Number.NaN) },
    ]
    for (const event of bad)
      await expect(recordAuditEvent(db.kysely, event)).rejects.toThrow(TypeError)
    for (const limit of [0, 1001, 1.5]) {
      await expect(listAuditEvents(db.kysely, { limit })).rejects.toThrow(TypeError)
    }
    expect(await listAuditEvents(db.kysely)).toEqual([])
  })

  it('has a closed set of event types', () => {
    expectTypeOf<NewAuditEvent['type']>().toEqualTypeOf<AuditEventType>()
    expectTypeOf<'token_dumped'>().not.toExtend<AuditEventType>()
  })
})
