import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('revoked_access_token')
    .addColumn('jti', 'text', (col) => col.primaryKey())
    .addColumn('user_id', 'uuid', (col) => col.references('user_account.id').onDelete('cascade'))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz', (col) => col.notNull())
    .addCheckConstraint('revoked_access_token_jti_length', sql`char_length(jti) between 1 and 256`)
    .execute()
  // The list prunes itself by expiry: a revoked token past its `exp` is rejected anyway.
  await db.schema
    .createIndex('revoked_access_token_expires_at_idx')
    .on('revoked_access_token')
    .column('expires_at')
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('revoked_access_token').execute()
}
