import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('project')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (col) =>
      col.notNull().references('tenant.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('project_name_length', sql`char_length(name) between 1 and 200`)
    .addCheckConstraint('project_created_by_length', sql`char_length(created_by) between 1 and 128`)
    .execute()
  await db.schema.createIndex('project_tenant_id_idx').on('project').column('tenant_id').execute()

  await db.schema
    .createTable('invoice')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (col) =>
      col.notNull().references('tenant.id').onDelete('cascade'),
    )
    .addColumn('amount_cents', 'integer', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('approved_by', 'text')
    .addColumn('approved_at', 'timestamptz')
    .addCheckConstraint('invoice_amount_positive', sql`amount_cents > 0`)
    .addCheckConstraint(
      'invoice_description_length',
      sql`char_length(description) between 1 and 500`,
    )
    .addCheckConstraint('invoice_status', sql`status in ('pending', 'approved')`)
    .addCheckConstraint(
      'invoice_approval',
      sql`(status = 'approved') = (approved_by is not null and approved_at is not null)`,
    )
    .execute()
  await db.schema.createIndex('invoice_tenant_id_idx').on('invoice').column('tenant_id').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('invoice').execute()
  await db.schema.dropTable('project').execute()
}
