import {
  auditEvent as auditEventSchema,
  CONSOLE_LIMITS,
  type AuditEvent,
  type Caller,
  type ConsoleTimeline,
  type Recipient,
} from '@hub/contracts';
import type { Queryable } from '@hub/postgres';

/**
 * What the console reads of the audit trail: 11a's `audit_events` table (services/audit/src/migrations.ts) in the
 * served generation of the `audit` view, read-only. Every query is scoped as the audit search is: an area IG officer
 * reads the rows whose `scopes` hold their organisation (the store keeps a record's inherited areas there), a
 * national one reads every row.
 */

/** `$n` is the caller's organisation, or null for a national IG officer (every row). */
function scoped(param: number): string {
  return `($${param}::text IS NULL OR scopes @> ARRAY[$${param}::text])`;
}

export function organisationOf(caller: Caller): string | null {
  return caller.role === 'ig-officer-national' ? null : caller.organisation;
}

export type TimelineSubject = { readonly receiptId: string } | { readonly incidentRef: string };

/** Parses a row's entry (the canonical JSON the log hashes) back into its event; undefined when it is not one. */
function eventOf(entry: Buffer): AuditEvent | undefined {
  try {
    const parsed = auditEventSchema.safeParse(JSON.parse(entry.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every event of one record version (`receiptId`) or of every version of an incident or plan (`incidentRef`: the
 * events naming it, and every event of the receipts it named), oldest first. Searches (`audit-searched`) are left
 * out: they are about the officer who searched, not steps of the record (the audit search finds them).
 */
export async function readTimeline(
  db: Queryable,
  caller: Caller,
  subject: TimelineSubject,
  logger: { warn(fields: object, message: string): void },
): Promise<ConsoleTimeline> {
  const which =
    'receiptId' in subject
      ? 'receipt_id = $1'
      : `(incident_ref = $1 OR receipt_id IN (
           SELECT receipt_id FROM audit_events WHERE incident_ref = $1 AND receipt_id IS NOT NULL AND ${scoped(2)}))`;
  const { rows } = await db.query<{ entry: Buffer; leaf_index: string | null }>(
    `SELECT entry, leaf_index FROM audit_events
      WHERE ${which} AND action <> 'audit-searched' AND ${scoped(2)}
      ORDER BY at, leaf_index NULLS LAST, kafka_partition, kafka_offset
      LIMIT $3`,
    [
      'receiptId' in subject ? subject.receiptId : subject.incidentRef,
      organisationOf(caller),
      CONSOLE_LIMITS.timelineEvents + 1,
    ],
  );
  const items = rows.slice(0, CONSOLE_LIMITS.timelineEvents).flatMap((row) => {
    const event = eventOf(row.entry);
    return event === undefined
      ? []
      : [{ ...event, leafIndex: row.leaf_index === null ? null : Number(row.leaf_index) }];
  });
  const unreadable = Math.min(rows.length, CONSOLE_LIMITS.timelineEvents) - items.length;
  // Counts only: an unreadable row's content is never logged.
  if (unreadable > 0) logger.warn({ unreadable }, 'timeline met unreadable audit rows');
  return { items, truncated: rows.length > CONSOLE_LIMITS.timelineEvents };
}

/** Where a notification was stored, if the caller's scope reaches it: its recipient and record. */
export async function findNotification(
  db: Queryable,
  caller: Caller,
  notificationId: string,
): Promise<
  { readonly recipient: Recipient; readonly receiptId: string | null; readonly subjectRef: string | null } | undefined
> {
  const { rows } = await db.query<{ recipient: string; receipt_id: string | null; subject_ref: string | null }>(
    `SELECT recipient, receipt_id, subject_ref FROM audit_events
      WHERE notification_id = $1 AND action = 'notification-stored' AND recipient IS NOT NULL AND ${scoped(2)}
      ORDER BY at LIMIT 1`,
    [notificationId, organisationOf(caller)],
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : { recipient: row.recipient, receiptId: row.receipt_id, subjectRef: row.subject_ref };
}
