import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_attempt')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('account_key', 'text', (col) => col.notNull())
    .addColumn('ip', 'text', (col) => col.notNull())
    .addColumn('at', 'timestamptz', (col) => col.notNull())
    .addColumn('success', 'boolean', (col) => col.notNull())
    .addCheckConstraint('login_attempt_account_key_length', sql`char_length(account_key) <= 320`)
    .addCheckConstraint('login_attempt_ip_length', sql`char_length(ip) <= 64`)
    .execute()
  await db.schema
    .createIndex('login_attempt_account_key_at_idx')
    .on('login_attempt')
    .columns(['account_key', 'at'])
    .execute()
  await db.schema
    .createIndex('login_attempt_ip_at_idx')
    .on('login_attempt')
    .columns(['ip', 'at'])
    .execute()
  // Pruning deletes by age alone.
  await db.schema.createIndex('login_attempt_at_idx').on('login_attempt').column('at').execute()

  await db.schema
    .createTable('login_lockout')
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('until', 'timestamptz', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('login_lockout_pkey', ['scope', 'key'])
    .addCheckConstraint('login_lockout_scope', sql`scope in ('pair', 'account', 'ip')`)
    .addCheckConstraint('login_lockout_key_length', sql`char_length(key) <= 400`)
    .execute()
  await db.schema
    .createIndex('login_lockout_until_idx')
    .on('login_lockout')
    .column('until')
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_lockout').execute()
  await db.schema.dropTable('login_attempt').execute()
}
