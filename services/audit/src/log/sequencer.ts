import { AUDIT_LOG_LIMITS, type AuditSequenceRecord } from '@hub/contracts';
import type { Queryable } from '@hub/postgres';
import {
  IN_RANGES,
  rangeParams,
  rangesBetween,
  readLogState,
  readProjectionProgress,
  type LogState,
  type PartitionOffset,
} from './state.ts';

/**
 * The next sequence record, from what the applier has applied (`audit_log_state`) and what the events projector has
 * stored (`audit_projection`): every stored event after the tree's `upTo`, by partition then offset, at most `limit`
 * (a larger backlog is cut inside a partition and taken by the next rounds). Undefined when nothing new is stored.
 * Computed from the applied state, never from what this leader published before, so a new leader needs no
 * hand-over: a record it publishes while an older one is still in flight is stale when applied and changes nothing.
 */
export async function nextSequenceRecord(
  q: Queryable,
  limit: number = AUDIT_LOG_LIMITS.leavesPerSequence,
): Promise<{ record: AuditSequenceRecord; state: LogState } | undefined> {
  const state = await readLogState(q);
  const progress = await readProjectionProgress(q);
  const stored = merge(state.upTo, progress);
  const ranges = rangesBetween(state.upTo, stored);
  if (ranges.length === 0) return undefined;
  const params = rangeParams(ranges);
  // The first event past the limit, if any: the cut falls just before it.
  const { rows: past } = await q.query<{ kafka_partition: number; kafka_offset: string }>(
    `SELECT e.kafka_partition, e.kafka_offset FROM ${IN_RANGES}
      ORDER BY e.kafka_partition, e.kafka_offset OFFSET $4 LIMIT 1`,
    [...params, limit],
  );
  const cut = past[0];
  let count = limit;
  let upTo = stored;
  if (cut === undefined) {
    const { rows } = await q.query<{ count: string }>(`SELECT count(*) AS count FROM ${IN_RANGES}`, params);
    count = Number(rows[0]?.count ?? 0);
  } else {
    const before = new Map(state.upTo.map((entry) => [entry.partition, entry.offset]));
    upTo = stored.map((entry) => {
      if (entry.partition < cut.kafka_partition) return entry;
      if (entry.partition === cut.kafka_partition)
        return { partition: entry.partition, offset: Number(cut.kafka_offset) };
      return { partition: entry.partition, offset: before.get(entry.partition) ?? 0 };
    });
  }
  // Offsets with no event (transaction markers) are left for a record that has leaves: a record is never empty.
  if (count === 0) return undefined;
  // A partition the tree has not reached yet is named from offset 0 only once it contributes.
  upTo = upTo.filter((entry) => entry.offset > 0);
  return { record: { fromIndex: state.size, toIndex: state.size + count, upTo }, state };
}

/** The cumulative `upTo` after storing up to `progress`: never behind the tree's own, in partition order. */
function merge(sequenced: readonly PartitionOffset[], progress: readonly PartitionOffset[]): PartitionOffset[] {
  const merged = new Map(sequenced.map((entry) => [entry.partition, entry.offset]));
  for (const entry of progress) merged.set(entry.partition, Math.max(entry.offset, merged.get(entry.partition) ?? 0));
  return [...merged].map(([partition, offset]) => ({ partition, offset })).sort((a, b) => a.partition - b.partition);
}
