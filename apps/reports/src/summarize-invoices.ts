/** What `reports.tenantSummary` answers. Amounts are in cents, as Warden stores them. */
export interface TenantSummary {
  tenantId: string
  invoiceCount: number
  pendingCount: number
  approvedCount: number
  totalAmount: number
  approvedAmount: number
}

/** Adds up a tenant's invoices. */
export function summarizeInvoices(
  tenantId: string,
  invoices: readonly { amount: number; status: 'pending' | 'approved' }[],
): TenantSummary {
  const summary: TenantSummary = {
    tenantId,
    invoiceCount: invoices.length,
    pendingCount: 0,
    approvedCount: 0,
    totalAmount: 0,
    approvedAmount: 0,
  }
  for (const invoice of invoices) {
    summary.totalAmount += invoice.amount
    if (invoice.status === 'approved') {
      summary.approvedCount++
      summary.approvedAmount += invoice.amount
    } else {
      summary.pendingCount++
    }
  }
  return summary
}
