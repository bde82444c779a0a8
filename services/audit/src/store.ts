import { createHash } from 'node:crypto';
import { auditEvent, canonicalJson, type AuditEvent, type StoredAuditEvent } from '@hub/contracts';
import type { Postgres } from '@hub/postgres';
import { placeEvent, type AuditScope, type EventPlacement, type PracticeAreas } from './scope.ts';

/**
 * The audit store: a PostgreSQL view of `audit.events.v1`, one row per Kafka record (services/audit/src/migrations.ts).
 * Each row keeps the event's canonical bytes (`entry`, the leaf of the verifiable log) and the columns that find it;
 * search answers what the entry says, never the columns. Kafka stays the record: the store is rebuilt by replaying
 * the topic into a new generation (README "Generations").
 */

/** One record of audit.events.v1 as the projector hands it over. */
export interface AuditRecord {
  readonly partition: number;
  /** Kafka's offset, a decimal string. */
  readonly offset: string;
  readonly event: AuditEvent;
}

/** Where a search continues from: the last row of the previous page, in the search's order. */
export interface AuditPosition {
  readonly time: number;
  readonly partition: number;
  readonly offset: number;
}

export type AuditOrder = 'oldest' | 'newest';

export interface AuditQuery {
  readonly receiptId?: string | undefined;
  readonly incidentRef?: string | undefined;
  readonly nhsNumber?: string | undefined;
  readonly recipient?: string | undefined;
  readonly actorClientId?: string | undefined;
  readonly actorOrganisation?: string | undefined;
  readonly action?: AuditEvent['action'] | undefined;
  readonly rule?: string | undefined;
  readonly outcome?: NonNullable<AuditEvent['decision']>['outcome'] | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly order: AuditOrder;
  /** Continue after this row (the last one of the previous page). */
  readonly after?: AuditPosition | undefined;
  /** Rows to read (readable or not). */
  readonly limit: number;
  /** Whose events may be returned (see scope.ts). */
  readonly scope: AuditScope;
}

/** One row a search read: its event, or undefined when the stored entry cannot be trusted (see `readEntry`). */
export interface FoundAuditRow {
  readonly position: AuditPosition;
  readonly stored: StoredAuditEvent | undefined;
}

/** Leaf hash of RFC 9162 (2.1.1): SHA-256 of 0x00 and the entry. */
export function leafHash(entry: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(entry).digest();
}

/** The leaf entry of an event: its canonical JSON, UTF-8. */
export function entryOf(event: AuditEvent): Buffer {
  return Buffer.from(canonicalJson(event), 'utf8');
}

/** A column of the row insert, as an array parameter of `unnest`. */
const COLUMNS = [
  ['kafka_partition', 'int'],
  ['kafka_offset', 'bigint'],
  ['event_id', 'text'],
  ['at', 'timestamptz'],
  ['service', 'text'],
  ['action', 'text'],
  ['trace_id', 'text'],
  ['receipt_id', 'text'],
  ['incident_ref', 'text'],
  ['subject_ref', 'text'],
  ['nhs_number', 'text'],
  ['recipient', 'text'],
  ['notification_id', 'text'],
  ['actor_client_id', 'text'],
  ['actor_role', 'text'],
  ['actor_organisation', 'text'],
  ['decision_rule', 'text'],
  ['policy_version', 'text'],
  ['outcome', 'text'],
  ['reason', 'text'],
  ['scopes', 'text'], // comma-joined codes ([A-Z0-9] only): unnest takes no ragged array of arrays
  ['inherits_areas', 'boolean'],
  ['entry', 'bytea'],
  ['leaf_hash', 'bytea'],
] as const;

const INSERT_EVENTS = `
INSERT INTO audit_events (${COLUMNS.map(([name]) => name).join(', ')})
SELECT ${COLUMNS.map(([name], i) => (name === 'scopes' ? `string_to_array(c${i}, ',')` : `c${i}`)).join(', ')}
FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
  AS r(${COLUMNS.map((_, i) => `c${i}`).join(', ')})
ON CONFLICT (kafka_partition, kafka_offset) DO NOTHING`;

function rowOf(record: AuditRecord, placement: EventPlacement): unknown[] {
  const { event } = record;
  const entry = entryOf(event);
  return [
    record.partition,
    record.offset,
    event.eventId,
    event.at,
    event.service,
    event.action,
    event.traceId,
    event.receiptId,
    event.incidentRef,
    event.subjectRef,
    event.nhsNumber,
    event.recipient,
    event.notificationId,
    event.actor?.clientId ?? null,
    event.actor?.role ?? null,
    event.actor?.organisation ?? null,
    event.decision?.rule ?? null,
    event.decision?.policyVersion ?? null,
    event.decision?.outcome ?? null,
    event.reason,
    [...placement.scopes].sort().join(','),
    inheritsAreas(placement),
    entry,
    leafHash(entry),
  ];
}

/** An event with no area of its own that belongs to a record takes every area the record reaches (scope.ts). */
function inheritsAreas(placement: EventPlacement): boolean {
  return placement.record !== null && placement.areas.length === 0;
}

/** Columns of a search's filters, with the event field each must match (checked again on the entry). */
const FILTERS = [
  ['receiptId', 'receipt_id', (e: AuditEvent) => e.receiptId],
  ['incidentRef', 'incident_ref', (e: AuditEvent) => e.incidentRef],
  ['nhsNumber', 'nhs_number', (e: AuditEvent) => e.nhsNumber],
  ['recipient', 'recipient', (e: AuditEvent) => e.recipient],
  ['actorClientId', 'actor_client_id', (e: AuditEvent) => e.actor?.clientId ?? null],
  ['actorOrganisation', 'actor_organisation', (e: AuditEvent) => e.actor?.organisation ?? null],
  ['action', 'action', (e: AuditEvent) => e.action],
  ['rule', 'decision_rule', (e: AuditEvent) => e.decision?.rule ?? null],
  ['outcome', 'outcome', (e: AuditEvent) => e.decision?.outcome ?? null],
] as const satisfies readonly (readonly [keyof AuditQuery, string, (event: AuditEvent) => string | null])[];

interface Row {
  kafka_partition: number;
  kafka_offset: string;
  at: Date;
  event_id: string;
  leaf_index: string | null;
  entry: Buffer;
  leaf_hash: Buffer;
}

/**
 * The event a row's entry holds, or undefined when it cannot be trusted: not an audit event, not the bytes its leaf
 * hash was computed from, not the event the row names, or not matching the filters that found it (an edited column).
 */
function readEntry(row: Row, query: AuditQuery): AuditEvent | undefined {
  if (!leafHash(row.entry).equals(row.leaf_hash)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.entry.toString('utf8'));
  } catch {
    return undefined;
  }
  const checked = auditEvent.safeParse(parsed);
  if (!checked.success || checked.data.eventId !== row.event_id) return undefined;
  const event = checked.data;
  for (const [name, , field] of FILTERS) {
    if (query[name] !== undefined && field(event) !== query[name]) return undefined;
  }
  return event;
}

/** `directory` maps practices to their local authorities when an event is placed (scope.ts). */
export function createAuditStore(postgres: Postgres, directory: PracticeAreas) {
  /**
   * Stores records (any partitions), in one transaction with each partition's progress (`audit_projection`):
   * every record once (a redelivered one changes nothing), and the scope of each event, inherited record areas
   * included, whatever order the records of one record id arrive in (the records touched are locked first, in order,
   * so two batches placing the same record take turns).
   */
  async function project(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    // The directory is read before the transaction: no connection held while it answers.
    const placed = await Promise.all(
      records.map(async (record) => ({ record, placement: await placeEvent(record.event, directory) })),
    );
    const placements = placed.map(({ placement }) => placement);
    const rows = placed.map(({ record, placement }) => rowOf(record, placement));
    const columns = COLUMNS.map((_, c) => rows.map((row) => row[c]));
    const recordAreas = placements.flatMap(({ record, recordAreas: areas }) =>
      record === null ? [] : areas.map((area) => [record, area] as const),
    );
    const touched = [
      ...new Set(
        placements.flatMap((placement) =>
          placement.record !== null && (placement.recordAreas.length > 0 || inheritsAreas(placement))
            ? [placement.record]
            : [],
        ),
      ),
    ].sort();
    const progress = new Map<number, bigint>();
    for (const { partition, offset } of records) {
      const next = BigInt(offset) + 1n;
      if ((progress.get(partition) ?? 0n) < next) progress.set(partition, next);
    }

    await postgres.transaction(async (tx) => {
      if (touched.length > 0) {
        await tx.query(
          `SELECT count(pg_advisory_xact_lock(hashtext('hub.audit.record'), hashtext($1 || ':' || record)))
           FROM (SELECT record FROM unnest($2::text[]) AS record ORDER BY record) AS sorted`,
          [postgres.schema, touched],
        );
      }
      await tx.query(INSERT_EVENTS, columns);
      if (recordAreas.length > 0) {
        await tx.query(
          `INSERT INTO audit_record_areas (record_id, area)
           SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
          [recordAreas.map(([record]) => record), recordAreas.map(([, area]) => area)],
        );
      }
      if (touched.length > 0) {
        // Every area-less event of the records touched takes each area its record reaches (sorted, so a rebuild
        // writes the same array whatever the arrival order).
        await tx.query(
          `UPDATE audit_events AS e
           SET scopes = ARRAY(SELECT DISTINCT code FROM unnest(e.scopes || r.areas) AS code ORDER BY code)
           FROM (SELECT record_id, array_agg(area) AS areas FROM audit_record_areas
                 WHERE record_id = ANY($1::text[]) GROUP BY record_id) AS r
           WHERE e.receipt_id = r.record_id AND e.inherits_areas AND NOT e.scopes @> r.areas`,
          [touched],
        );
      }
      await tx.query(
        `INSERT INTO audit_projection (kafka_partition, next_offset)
         SELECT * FROM unnest($1::int[], $2::bigint[])
         ON CONFLICT (kafka_partition) DO UPDATE
         SET next_offset = GREATEST(audit_projection.next_offset, excluded.next_offset)`,
        [[...progress.keys()], [...progress.values()].map(String)],
      );
    });
  }

  /**
   * Rows matching every given filter and the scope, in the query's order (time, then partition and offset), from
   * the row after `after`, at most `limit`. Each filter and the order are one index range (migrations.ts). A row
   * whose entry cannot be trusted comes back without its event, for the page's integrity report; never thrown.
   */
  async function search(query: AuditQuery): Promise<FoundAuditRow[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = [];
    for (const [name, column] of FILTERS) {
      const value = query[name];
      if (value !== undefined) where.push(`${column} = ${param(value)}`);
    }
    if (query.from !== undefined) where.push(`at >= ${param(query.from)}`);
    if (query.to !== undefined) where.push(`at <= ${param(query.to)}`);
    if (query.scope.kind === 'organisation') where.push(`scopes @> ARRAY[${param(query.scope.organisation)}]::text[]`);
    const newest = query.order === 'newest';
    if (query.after !== undefined) {
      const { time, partition, offset } = query.after;
      where.push(
        `(at, kafka_partition, kafka_offset) ${newest ? '<' : '>'} (${param(new Date(time))}, ${param(partition)}, ${param(String(offset))})`,
      );
    }
    const direction = newest ? 'DESC' : 'ASC';
    const { rows } = await postgres.query<Row>(
      `SELECT kafka_partition, kafka_offset, at, event_id, leaf_index, entry, leaf_hash FROM audit_events
       ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY at ${direction}, kafka_partition ${direction}, kafka_offset ${direction}
       LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map((row) => {
      const position = { time: row.at.getTime(), partition: row.kafka_partition, offset: Number(row.kafka_offset) };
      const event = readEntry(row, query);
      const leafIndex = row.leaf_index === null ? null : Number(row.leaf_index);
      return {
        position,
        stored:
          event === undefined
            ? undefined
            : { ...event, position: { partition: position.partition, offset: position.offset }, leafIndex },
      };
    });
  }

  return { project, search };
}

export type AuditStore = ReturnType<typeof createAuditStore>;
