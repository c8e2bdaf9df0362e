import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('refresh_family')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (col) => col.references('user_account.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (col) =>
      col.references('service_client.id').onDelete('cascade'),
    )
    .addColumn('audience', 'text', (col) => col.notNull())
    .addColumn('scope', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('last_used_at', 'timestamptz', (col) => col.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoke_reason', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('ip', 'text')
    .addCheckConstraint('refresh_family_one_subject', sql`num_nonnulls(user_id, client_id) = 1`)
    .addCheckConstraint('refresh_family_lifetime', sql`expires_at > created_at`)
    .addCheckConstraint(
      'refresh_family_revocation',
      sql`(revoked_at is null) = (revoke_reason is null)`,
    )
    .addCheckConstraint('refresh_family_user_agent_length', sql`char_length(user_agent) <= 512`)
    .addCheckConstraint('refresh_family_ip_length', sql`char_length(ip) <= 64`)
    .execute()
  await db.schema
    .createIndex('refresh_family_user_id_idx')
    .on('refresh_family')
    .column('user_id')
    .execute()
  await db.schema
    .createIndex('refresh_family_client_id_idx')
    .on('refresh_family')
    .column('client_id')
    .execute()
  await db.schema
    .createIndex('refresh_family_expires_at_idx')
    .on('refresh_family')
    .column('expires_at')
    .execute()

  await db.schema
    .createTable('refresh_token')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('family_id', 'uuid', (col) =>
      col.notNull().references('refresh_family.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('parent_id', 'uuid', (col) => col.references('refresh_token.id').onDelete('cascade'))
    .addColumn('issued_at', 'timestamptz', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoke_reason', 'text')
    // Only a hash may ever be stored here: a raw token (`wrt_…`) cannot pass this check.
    .addCheckConstraint('refresh_token_hash_is_sha256_hex', sql`token_hash ~ '^[0-9a-f]{64}$'`)
    .addCheckConstraint('refresh_token_lifetime', sql`expires_at > issued_at`)
    .addCheckConstraint(
      'refresh_token_revocation',
      sql`(revoked_at is null) = (revoke_reason is null)`,
    )
    .execute()
  await db.schema
    .createIndex('refresh_token_family_id_idx')
    .on('refresh_token')
    .column('family_id')
    .execute()
  // Unique: a token has at most one successor, so even a bug cannot fork a family.
  await db.schema
    .createIndex('refresh_token_parent_id_key')
    .unique()
    .on('refresh_token')
    .column('parent_id')
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('refresh_token').execute()
  await db.schema.dropTable('refresh_family').execute()
}
