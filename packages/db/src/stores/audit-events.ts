import type { Kysely } from 'kysely'

import { assertDate, assertUuid, clientText } from '../internal/validate.ts'
import {
  AUDIT_EVENT_TYPES,
  type AuditDetails,
  type AuditEventRow,
  type AuditEventType,
  type Database,
} from '../schema.ts'

/** A recorded security event. It never holds a token or a password. */
export interface AuditEvent {
  /** A bigserial, as a string. */
  id: string
  type: AuditEventType
  at: Date
  actorUserId: string | null
  actorClientId: string | null
  ip: string | null
  reason: string | null
  familyId: string | null
  details: AuditDetails | null
}

/** What {@link recordAuditEvent} takes. */
export interface NewAuditEvent {
  type: AuditEventType
  at: Date
  actorUserId?: string | undefined
  actorClientId?: string | undefined
  ip?: string | undefined
  reason?: string | undefined
  familyId?: string | undefined
  details?: AuditDetails | undefined
}

const DEFAULT_LIST_LIMIT = 100
const MAX_LIST_LIMIT = 1000
const MAX_REASON_LENGTH = 200
/** The longest client IP an audit event keeps (the column's CHECK). */
export const MAX_AUDIT_IP_LENGTH = 64
const MAX_DETAILS_JSON_LENGTH = 4096

function detailsJson(details: AuditDetails | undefined): string | null {
  if (details === undefined) return null
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new TypeError(`details.${key} must be a finite number`)
    }
  }
  const json = JSON.stringify(details)
  if (json.length > MAX_DETAILS_JSON_LENGTH) {
    throw new TypeError(`details must serialise to at most ${MAX_DETAILS_JSON_LENGTH} characters`)
  }
  return json
}

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    type: row.type,
    at: row.at,
    actorUserId: row.actor_user_id,
    actorClientId: row.actor_client_id,
    ip: row.ip,
    reason: row.reason,
    familyId: row.family_id,
    details: row.details,
  }
}

/**
 * Records a security event. `type` is a closed union (the table's CHECK has the same list);
 * `details` holds flat JSON values and must never carry a token or a password.
 *
 * @throws TypeError for a non-uuid actor or family id, a non-finite number in `details`, or
 * details over 4 KiB.
 */
export async function recordAuditEvent(db: Kysely<Database>, event: NewAuditEvent): Promise<void> {
  assertDate('at', event.at)
  if (!AUDIT_EVENT_TYPES.includes(event.type)) throw new TypeError('Unknown audit event type')
  if (event.actorUserId !== undefined) assertUuid('actorUserId', event.actorUserId)
  if (event.familyId !== undefined) assertUuid('familyId', event.familyId)
  await db
    .insertInto('audit_event')
    .values({
      type: event.type,
      at: event.at,
      actor_user_id: event.actorUserId ?? null,
      actor_client_id: event.actorClientId ?? null,
      ip: clientText(event.ip, MAX_AUDIT_IP_LENGTH),
      reason: clientText(event.reason, MAX_REASON_LENGTH),
      family_id: event.familyId ?? null,
      details: detailsJson(event.details),
    })
    .execute()
}

/**
 * Lists audit events in the order they happened, optionally from `since` (inclusive) and of
 * one type; at most `limit` (default 100, at most 1000).
 */
export async function listAuditEvents(
  db: Kysely<Database>,
  input: {
    since?: Date | undefined
    type?: AuditEventType | undefined
    limit?: number | undefined
  } = {},
): Promise<AuditEvent[]> {
  const { since, type } = input
  const limit = input.limit ?? DEFAULT_LIST_LIMIT
  if (!Number.isSafeInteger(limit) || limit <= 0 || limit > MAX_LIST_LIMIT) {
    throw new TypeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`)
  }
  if (since !== undefined) assertDate('since', since)
  let query = db.selectFrom('audit_event').selectAll()
  if (since !== undefined) query = query.where('at', '>=', since)
  if (type !== undefined) query = query.where('type', '=', type)
  const rows = await query.orderBy('at').orderBy('id').limit(limit).execute()
  return rows.map(toAuditEvent)
}
