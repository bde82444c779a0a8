import type { Queryable } from '@hub/postgres';

/** How far a partition of `audit.events.v1` is sequenced: the offset after the last one taken. */
export interface PartitionOffset {
  readonly partition: number;
  readonly offset: number;
}

/** The tree as the applier left it (`audit_log_state`). */
export interface LogState {
  readonly size: number;
  readonly root: Buffer;
  /** The last applied record's `upTo`, in partition order. */
  readonly upTo: readonly PartitionOffset[];
  /** The offset of `audit.sequence.v1` after the last record handled. */
  readonly sequenceOffset: number;
}

interface StateRow {
  readonly size: string;
  readonly root: Buffer;
  readonly up_to: PartitionOffset[];
  readonly sequence_offset: string;
}

/** The log's state; `forUpdate` locks the row for the rest of the caller's transaction (the applier). */
export async function readLogState(q: Queryable, forUpdate = false): Promise<LogState> {
  const { rows } = await q.query<StateRow>(
    `SELECT size, root, up_to, sequence_offset FROM audit_log_state${forUpdate ? ' FOR UPDATE' : ''}`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('audit_log_state has no row: the log migrations have not run');
  return {
    size: Number(row.size),
    root: row.root,
    upTo: row.up_to,
    sequenceOffset: Number(row.sequence_offset),
  };
}

/** What `audit_projection` says each partition of `audit.events.v1` is stored up to (next offset to store). */
export async function readProjectionProgress(q: Queryable): Promise<PartitionOffset[]> {
  const { rows } = await q.query<{ kafka_partition: number; next_offset: string }>(
    'SELECT kafka_partition, next_offset FROM audit_projection ORDER BY kafka_partition',
  );
  return rows.map((row) => ({ partition: row.kafka_partition, offset: Number(row.next_offset) }));
}

/** One partition's range of offsets [from, to) of `audit.events.v1`. */
export interface OffsetRange {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

/** The ranges between two cumulative `upTo`s (a partition missing from `before` starts at 0), empty ones left out. */
export function rangesBetween(before: readonly PartitionOffset[], after: readonly PartitionOffset[]): OffsetRange[] {
  const start = new Map(before.map((entry) => [entry.partition, entry.offset]));
  return after
    .map((entry) => ({ partition: entry.partition, from: start.get(entry.partition) ?? 0, to: entry.offset }))
    .filter((range) => range.to > range.from);
}

/** Parameters of the `unnest($1::int[], $2::bigint[], $3::bigint[]) AS r(p, lo, hi)` ranges join. */
export function rangeParams(ranges: readonly OffsetRange[]): [number[], number[], number[]] {
  return [ranges.map((r) => r.partition), ranges.map((r) => r.from), ranges.map((r) => r.to)];
}

/** The events of audit.events.v1 in the ranges (joined to `unnest(...) AS r(p, lo, hi)`). */
export const IN_RANGES = `audit_events e
  JOIN unnest($1::int[], $2::bigint[], $3::bigint[]) AS r(p, lo, hi)
    ON e.kafka_partition = r.p AND e.kafka_offset >= r.lo AND e.kafka_offset < r.hi`;
