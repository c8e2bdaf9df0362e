import { describe, expect, it } from 'vitest'

import {
  approveInvoice,
  createInvoice,
  createProject,
  deleteProject,
  getProject,
  listInvoices,
  listProjects,
  MAX_INVOICE_AMOUNT,
} from '../src/index.ts'
import { at, describeBackends, makeUser, T0, useTestDatabase } from './helpers.ts'

const NOT_A_UUID = ['', 'abc', '1', "' or 1=1 --", '00000000-0000-0000-0000-00000000000g']

describeBackends('tenant resources', (backend) => {
  const getDb = useTestDatabase(backend)

  describe('projects', () => {
    it('creates, lists, gets and deletes within a tenant', async () => {
      const db = getDb()
      const alice = await makeUser(db)
      const project = await createProject(db.kysely, {
        tenantId: alice.tenantId,
        name: 'Apollo',
        createdBy: alice.id,
        now: T0,
      })
      expect(project).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenantId: alice.tenantId,
        name: 'Apollo',
        createdBy: alice.id,
        createdAt: T0,
      })
      const second = await createProject(db.kysely, {
        tenantId: alice.tenantId,
        name: 'Gemini',
        createdBy: alice.id,
        now: at(1),
      })
      expect(await listProjects(db.kysely, { tenantId: alice.tenantId })).toEqual([project, second])
      expect(await getProject(db.kysely, { tenantId: alice.tenantId, id: project.id })).toEqual(
        project,
      )
      expect(await deleteProject(db.kysely, { tenantId: alice.tenantId, id: project.id })).toBe(
        true,
      )
      expect(await deleteProject(db.kysely, { tenantId: alice.tenantId, id: project.id })).toBe(
        false,
      )
      expect(await listProjects(db.kysely, { tenantId: alice.tenantId })).toEqual([second])
    })

    it('never shows or deletes another tenant’s project', async () => {
      const db = getDb()
      const alice = await makeUser(db)
      const mallory = await makeUser(db)
      const project = await createProject(db.kysely, {
        tenantId: alice.tenantId,
        name: 'Secret',
        createdBy: alice.id,
        now: T0,
      })
      expect(await listProjects(db.kysely, { tenantId: mallory.tenantId })).toEqual([])
      expect(
        await getProject(db.kysely, { tenantId: mallory.tenantId, id: project.id }),
      ).toBeUndefined()
      expect(await deleteProject(db.kysely, { tenantId: mallory.tenantId, id: project.id })).toBe(
        false,
      )
      expect(await getProject(db.kysely, { tenantId: alice.tenantId, id: project.id })).toEqual(
        project,
      )
    })

    it('answers not found for ids that are not uuids', async () => {
      const db = getDb()
      const alice = await makeUser(db)
      for (const id of NOT_A_UUID) {
        expect(await getProject(db.kysely, { tenantId: alice.tenantId, id })).toBeUndefined()
        expect(await deleteProject(db.kysely, { tenantId: alice.tenantId, id })).toBe(false)
        expect(await listProjects(db.kysely, { tenantId: id })).toEqual([])
      }
    })
  })

  describe('invoices', () => {
    it('creates pending invoices and approves them idempotently', async () => {
      const db = getDb()
      const alice = await makeUser(db)
      const approver = await makeUser(db)
      const invoice = await createInvoice(db.kysely, {
        tenantId: alice.tenantId,
        amount: 12_345,
        description: 'Consulting',
        createdBy: alice.id,
        now: T0,
      })
      expect(invoice).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenantId: alice.tenantId,
        amount: 12_345,
        description: 'Consulting',
        status: 'pending',
        createdBy: alice.id,
        createdAt: T0,
        approvedBy: null,
        approvedAt: null,
      })
      const approved = await approveInvoice(db.kysely, {
        tenantId: alice.tenantId,
        id: invoice.id,
        approvedBy: approver.id,
        now: at(1),
      })
      expect(approved).toEqual({
        ...invoice,
        status: 'approved',
        approvedBy: approver.id,
        approvedAt: at(1),
      })
      expect(
        await approveInvoice(db.kysely, {
          tenantId: alice.tenantId,
          id: invoice.id,
          approvedBy: alice.id,
          now: at(2),
        }),
      ).toEqual(approved)
      expect(await listInvoices(db.kysely, { tenantId: alice.tenantId })).toEqual([approved])
    })

    it('keeps invoices inside their tenant and ignores malformed ids', async () => {
      const db = getDb()
      const alice = await makeUser(db)
      const mallory = await makeUser(db)
      const invoice = await createInvoice(db.kysely, {
        tenantId: alice.tenantId,
        amount: 1,
        description: 'x',
        createdBy: alice.id,
        now: T0,
      })
      expect(await listInvoices(db.kysely, { tenantId: mallory.tenantId })).toEqual([])
      expect(
        await approveInvoice(db.kysely, {
          tenantId: mallory.tenantId,
          id: invoice.id,
          approvedBy: mallory.id,
          now: at(1),
        }),
      ).toBeUndefined()
      for (const id of NOT_A_UUID) {
        expect(
          await approveInvoice(db.kysely, {
            tenantId: alice.tenantId,
            id,
            approvedBy: alice.id,
            now: at(1),
          }),
        ).toBeUndefined()
        expect(await listInvoices(db.kysely, { tenantId: id })).toEqual([])
      }
      expect((await listInvoices(db.kysely, { tenantId: alice.tenantId }))[0]?.status).toBe(
        'pending',
      )
    })

    it('accepts only whole, positive amounts the column can hold', async () => {
      const db = getDb()
      const alice = await makeUser(db)
      const base = { tenantId: alice.tenantId, description: 'x', createdBy: alice.id, now: T0 }
      for (const amount of [0, -1, 1.5, Number.NaN, MAX_INVOICE_AMOUNT + 1, 1_000_000_000_00]) {
        await expect(createInvoice(db.kysely, { ...base, amount })).rejects.toThrow(RangeError)
      }
      expect((await createInvoice(db.kysely, { ...base, amount: MAX_INVOICE_AMOUNT })).amount).toBe(
        MAX_INVOICE_AMOUNT,
      )
    })
  })
})
