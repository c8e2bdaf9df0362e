import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  // No column may ever hold a token or a password: the audit log is read by people.
  await db.schema
    .createTable('audit_event')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('at', 'timestamptz', (col) => col.notNull())
    .addColumn('actor_user_id', 'uuid')
    .addColumn('actor_client_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('reason', 'text')
    .addColumn('family_id', 'uuid')
    .addColumn('details', 'jsonb')
    .addCheckConstraint(
      'audit_event_type',
      sql`type in ('login_succeeded', 'login_failed', 'lockout', 'refresh', 'reuse_detected',
        'family_revoked', 'logout', 'logout_all', 'key_rotated', 'client_token_issued',
        'client_auth_failed', 'roles_changed', 'user_registered')`,
    )
    .addCheckConstraint('audit_event_details_object', sql`jsonb_typeof(details) = 'object'`)
    .addCheckConstraint('audit_event_ip_length', sql`char_length(ip) <= 64`)
    .addCheckConstraint('audit_event_reason_length', sql`char_length(reason) <= 200`)
    .execute()
  await db.schema.createIndex('audit_event_at_idx').on('audit_event').column('at').execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration is frozen in time: it must not follow today's Database type
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_event').execute()
}
