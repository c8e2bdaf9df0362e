import { describe, expect, it } from 'vitest'

import { createUser, findUserById, setUserRoles } from '@warden/db'
import { testBackends } from '@warden/db/testing'

import { startTestWarden } from './harness.ts'

describe.each(testBackends())('tenant isolation (BOLA) on %s', (backend) => {
  it("another tenant's project or invoice is NOT_FOUND, never its data", async () => {
    await using t = await startTestWarden({ backend })
    const ada = await t.signUp('ada@example.com')
    const mallory = await t.signUp('mallory@example.com')
    await setUserRoles(t.database.kysely, {
      userId: mallory.user.id,
      roles: ['manager'],
      now: new Date(t.clock.now()),
    })
    const malloryManager = await t.login('mallory@example.com')

    const project = (
      await t.call('projects.create', { name: 'Secret plan' }, { token: ada.accessToken })
    ).data as {
      id: string
    }
    const invoice = (
      await t.call(
        'invoices.create',
        { amount: 12_500, description: 'Consulting' },
        { token: ada.accessToken },
      )
    ).data as { id: string }

    const get = await t.call(
      'projects.get',
      { id: project.id },
      { token: malloryManager.accessToken },
    )
    expect(get.status).toBe(404)
    expect(JSON.stringify(get.json)).not.toContain('Secret plan')
    expect(
      (await t.call('projects.list', undefined, { token: malloryManager.accessToken })).data,
    ).toEqual([])
    expect(
      (await t.call('projects.delete', { id: project.id }, { token: malloryManager.accessToken }))
        .status,
    ).toBe(404)
    expect(
      (await t.call('invoices.list', undefined, { token: malloryManager.accessToken })).data,
    ).toEqual([])
    expect(
      (
        await t.call(
          'invoices.list',
          { tenantId: ada.user.id },
          { token: malloryManager.accessToken },
        )
      ).data,
    ).toEqual([])
    expect(
      (await t.call('invoices.approve', { id: invoice.id }, { token: malloryManager.accessToken }))
        .status,
    ).toBe(404)
    expect(
      (await t.call('projects.get', { id: 'not-a-uuid' }, { token: ada.accessToken })).status,
    ).toBe(404)

    // The owner still sees both, unchanged.
    expect(
      (await t.call('projects.get', { id: project.id }, { token: ada.accessToken })).data,
    ).toEqual({
      id: project.id,
      name: 'Secret plan',
    })
    const invoices = (await t.call('invoices.list', undefined, { token: ada.accessToken })).data
    expect(invoices).toEqual([
      { id: invoice.id, amount: 12_500, description: 'Consulting', status: 'pending' },
    ])
  })

  it('an admin manages their own tenant only; a role change reaches the next token, or at once with revokeTokens', async () => {
    await using t = await startTestWarden({ backend })
    const admin = await t.signUp('admin@example.com')
    await setUserRoles(t.database.kysely, {
      userId: admin.user.id,
      roles: ['admin'],
      now: new Date(t.clock.now()),
    })
    const adminSession = await t.login('admin@example.com')
    const adminUser = await findUserById(t.database.kysely, admin.user.id)
    const created = await createUser(t.database.kysely, {
      email: 'carol@example.com',
      passwordHash: await t.services.passwords.hash('correct horse battery staple'),
      tenantId: adminUser?.tenantId ?? '',
      roles: ['member'],
      now: new Date(t.clock.now()),
    })
    if (!created.ok) throw new Error('setup failed')
    const carol = await t.login('carol@example.com')

    const listed = await t.call('admin.users.list', undefined, { token: adminSession.accessToken })
    expect((listed.data as { email: string }[]).map((user) => user.email).sort()).toEqual([
      'admin@example.com',
      'carol@example.com',
    ])
    const outsider = await t.signUp('outsider@example.com')
    const cross = await t.call(
      'admin.users.setRoles',
      { userId: outsider.user.id, roles: ['admin'] },
      { token: adminSession.accessToken },
    )
    expect(cross.status).toBe(404)

    const invoice = (
      await t.call(
        'invoices.create',
        { amount: 100, description: 'Pens' },
        { token: carol.accessToken },
      )
    ).data as { id: string }
    expect(
      (await t.call('invoices.approve', { id: invoice.id }, { token: carol.accessToken })).status,
    ).toBe(403)

    // Promoted: the current token still says member; the next one (after a refresh) says manager.
    await t.call(
      'admin.users.setRoles',
      { userId: created.user.id, roles: ['manager'] },
      { token: adminSession.accessToken },
    )
    expect(
      (await t.call('invoices.approve', { id: invoice.id }, { token: carol.accessToken })).status,
    ).toBe(403)
    const refreshed = (await t.call('auth.refresh', { refreshToken: carol.refreshToken })).data as {
      accessToken: string
      refreshToken: string
    }
    const approved = await t.call(
      'invoices.approve',
      { id: invoice.id },
      { token: refreshed.accessToken },
    )
    expect(approved.data).toEqual({ id: invoice.id, status: 'approved' })

    // Demoted with revokeTokens: the current access token stops working at once.
    t.clock.advance(10)
    await t.call(
      'admin.users.setRoles',
      { userId: created.user.id, roles: ['member'], revokeTokens: true },
      { token: adminSession.accessToken },
    )
    const revoked = await t.call('system.whoami', undefined, { token: refreshed.accessToken })
    expect(revoked.error?.data.authError).toBe('revoked_token')
    t.clock.advance(10)
    const again = (await t.call('auth.refresh', { refreshToken: refreshed.refreshToken })).data as {
      accessToken: string
    }
    const whoami = (await t.call('system.whoami', undefined, { token: again.accessToken }))
      .data as { roles: string[] }
    expect(whoami.roles).toEqual(['member'])
  })
})

describe.each(testBackends())('invoice input on %s', (backend) => {
  it('an amount beyond what the database holds is a 400, never a 500', async () => {
    await using t = await startTestWarden({ backend })
    const { accessToken } = await t.signUp('ada@example.com')
    const largest = await t.call(
      'invoices.create',
      { amount: 2_147_483_647, description: 'Max' },
      { token: accessToken },
    )
    expect(largest.status).toBe(200)
    for (const amount of [2_147_483_648, 1e11, 0, -5, 1.5]) {
      const result = await t.call(
        'invoices.create',
        { amount, description: 'Too much' },
        { token: accessToken },
      )
      expect(result.status, String(amount)).toBe(400)
    }
  })
})
