import { describe, expect, it } from 'vitest'

import { summarizeInvoices } from './summarize-invoices.ts'

describe('summarizeInvoices', () => {
  it('counts and adds up by status', () => {
    expect(
      summarizeInvoices('t1', [
        { amount: 100, status: 'pending' },
        { amount: 250, status: 'approved' },
        { amount: 50, status: 'approved' },
      ]),
    ).toEqual({
      tenantId: 't1',
      invoiceCount: 3,
      pendingCount: 1,
      approvedCount: 2,
      totalAmount: 400,
      approvedAmount: 300,
    })
  })

  it('gives zeros for no invoices', () => {
    expect(summarizeInvoices('t2', [])).toEqual({
      tenantId: 't2',
      invoiceCount: 0,
      pendingCount: 0,
      approvedCount: 0,
      totalAmount: 0,
      approvedAmount: 0,
    })
  })
})
