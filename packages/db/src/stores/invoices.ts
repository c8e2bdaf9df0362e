import type { Kysely } from 'kysely'

import { isUuid } from '../internal/uuid.ts'
import { assertDate, assertUuid } from '../internal/validate.ts'
import type { Database, InvoiceRow, InvoiceStatus } from '../schema.ts'

/** A tenant's invoice (the demo resource that needs a scope to approve). */
export interface Invoice {
  id: string
  tenantId: string
  /** In cents: a positive integer. */
  amount: number
  description: string
  status: InvoiceStatus
  createdBy: string
  createdAt: Date
  approvedBy: string | null
  approvedAt: Date | null
}

/** The largest amount the `integer` column holds, in cents. */
export const MAX_INVOICE_AMOUNT = 2_147_483_647

function toInvoice(row: InvoiceRow): Invoice {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    amount: row.amount_cents,
    description: row.description,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
  }
}

/** A tenant's invoices, oldest first. */
export async function listInvoices(
  db: Kysely<Database>,
  input: { tenantId: string },
): Promise<Invoice[]> {
  if (!isUuid(input.tenantId)) return []
  const rows = await db
    .selectFrom('invoice')
    .selectAll()
    .where('tenant_id', '=', input.tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map(toInvoice)
}

/**
 * Creates a pending invoice.
 *
 * @throws RangeError unless `amount` is an integer from 1 to {@link MAX_INVOICE_AMOUNT} cents;
 * TypeError for a tenant id that is not a uuid.
 */
export async function createInvoice(
  db: Kysely<Database>,
  input: { tenantId: string; amount: number; description: string; createdBy: string; now: Date },
): Promise<Invoice> {
  assertUuid('tenantId', input.tenantId)
  assertDate('now', input.now)
  if (
    !Number.isSafeInteger(input.amount) ||
    input.amount < 1 ||
    input.amount > MAX_INVOICE_AMOUNT
  ) {
    throw new RangeError(`amount must be an integer from 1 to ${MAX_INVOICE_AMOUNT} cents`)
  }
  const row = await db
    .insertInto('invoice')
    .values({
      tenant_id: input.tenantId,
      amount_cents: input.amount,
      description: input.description,
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toInvoice(row)
}

/**
 * Approves one of a tenant's invoices. Idempotent: approving an approved invoice returns it
 * unchanged (first approver and time kept). `undefined` when it is not found in that tenant.
 */
export async function approveInvoice(
  db: Kysely<Database>,
  input: { tenantId: string; id: string; approvedBy: string; now: Date },
): Promise<Invoice | undefined> {
  assertDate('now', input.now)
  if (!isUuid(input.tenantId) || !isUuid(input.id)) return undefined
  const row = await db
    .updateTable('invoice')
    .set((eb) => ({
      status: 'approved',
      approved_by: eb.fn.coalesce('approved_by', eb.val(input.approvedBy)),
      approved_at: eb.fn.coalesce('approved_at', eb.val(input.now)),
    }))
    .where('tenant_id', '=', input.tenantId)
    .where('id', '=', input.id)
    .returningAll()
    .executeTakeFirst()
  return row && toInvoice(row)
}
