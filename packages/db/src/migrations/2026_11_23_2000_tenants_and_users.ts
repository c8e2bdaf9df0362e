import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenant')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('tenant_name_length', sql`char_length(name) between 1 and 200`)
    .execute()

  await db.schema
    .createTable('user_account')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (col) => col.notNull().references('tenant.id'))
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('name', 'text')
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('roles', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{member}'`))
    .addColumn('tokens_valid_after', 'timestamptz')
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'user_account_email_shape',
      sql`char_length(email) between 3 and 254 and email like '_%@_%'`,
    )
    .addCheckConstraint('user_account_name_length', sql`char_length(name) <= 200`)
    .addCheckConstraint('user_account_password_hash_present', sql`char_length(password_hash) > 0`)
    .addCheckConstraint(
      'user_account_roles_shape',
      sql`cardinality(roles) <= 32 and array_position(roles, null) is null`,
    )
    .execute()

  // Emails are unique whatever their case: `A@x.io` and `a@X.IO` are one account.
  await db.schema
    .createIndex('user_account_email_lower_key')
    .unique()
    .on('user_account')
    .expression(sql`lower(email)`)
    .execute()
  await db.schema
    .createIndex('user_account_tenant_id_idx')
    .on('user_account')
    .column('tenant_id')
    .execute()
  // Every instance reloads the recent cut-offs periodically: only the few users who have one.
  await db.schema
    .createIndex('user_account_tokens_valid_after_idx')
    .on('user_account')
    .column('tokens_valid_after')
    .where(sql.ref('tokens_valid_after'), 'is not', null)
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user_account').execute()
  await db.schema.dropTable('tenant').execute()
}
