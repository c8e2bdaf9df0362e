import type { Kysely } from 'kysely'

import { isUuid } from '../internal/uuid.ts'
import { assertDate, assertUuid } from '../internal/validate.ts'
import type { Database, ProjectRow } from '../schema.ts'

/** A tenant's project (the demo resource). */
export interface Project {
  id: string
  tenantId: string
  name: string
  /** The subject (`sub`) that created it. */
  createdBy: string
  createdAt: Date
}

function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
}

/** A tenant's projects, oldest first. */
export async function listProjects(
  db: Kysely<Database>,
  input: { tenantId: string },
): Promise<Project[]> {
  if (!isUuid(input.tenantId)) return []
  const rows = await db
    .selectFrom('project')
    .selectAll()
    .where('tenant_id', '=', input.tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map(toProject)
}

/** One of a tenant's projects; another tenant's project, or a malformed id, is not found. */
export async function getProject(
  db: Kysely<Database>,
  input: { tenantId: string; id: string },
): Promise<Project | undefined> {
  if (!isUuid(input.tenantId) || !isUuid(input.id)) return undefined
  const row = await db
    .selectFrom('project')
    .selectAll()
    .where('tenant_id', '=', input.tenantId)
    .where('id', '=', input.id)
    .executeTakeFirst()
  return row && toProject(row)
}

/**
 * Creates a project in a tenant.
 *
 * @throws TypeError for a tenant id that is not a uuid (it comes from a verified token).
 */
export async function createProject(
  db: Kysely<Database>,
  input: { tenantId: string; name: string; createdBy: string; now: Date },
): Promise<Project> {
  assertUuid('tenantId', input.tenantId)
  assertDate('now', input.now)
  const row = await db
    .insertInto('project')
    .values({
      tenant_id: input.tenantId,
      name: input.name,
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toProject(row)
}

/** Deletes one of a tenant's projects. False when it is not found (in that tenant). */
export async function deleteProject(
  db: Kysely<Database>,
  input: { tenantId: string; id: string },
): Promise<boolean> {
  if (!isUuid(input.tenantId) || !isUuid(input.id)) return false
  const result = await db
    .deleteFrom('project')
    .where('tenant_id', '=', input.tenantId)
    .where('id', '=', input.id)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}
