import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('service_client')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text')
    .addColumn('secret_hash', 'text', (col) => col.notNull())
    .addColumn('audiences', sql`text[]`, (col) => col.notNull())
    .addColumn('scopes', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('enabled', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('service_client_id_shape', sql`id ~ '^[A-Za-z0-9._:-]{1,128}$'`)
    .addCheckConstraint('service_client_name_length', sql`char_length(name) <= 200`)
    .addCheckConstraint('service_client_secret_hash_present', sql`char_length(secret_hash) > 0`)
    .addCheckConstraint(
      'service_client_audiences_shape',
      sql`cardinality(audiences) between 1 and 32 and array_position(audiences, null) is null`,
    )
    .addCheckConstraint(
      'service_client_scopes_shape',
      sql`cardinality(scopes) <= 64 and array_position(scopes, null) is null`,
    )
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('service_client').execute()
}
