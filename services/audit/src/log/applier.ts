import { STEPS, type AuditSequenceRecord } from '@hub/contracts';
import { bindProjector, NotYetError, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { Postgres, Queryable } from '@hub/postgres';
import { HASH_SIZE } from '@hub/tlog';
import { IN_RANGES, rangeParams, rangesBetween, readLogState, readProjectionProgress, type LogState } from './state.ts';
import { integrate } from './tree.ts';

export type ApplyOutcome =
  | { readonly kind: 'applied'; readonly size: number }
  /** Handled before (a redelivery): nothing to do. */
  | { readonly kind: 'duplicate' }
  /** Not at the tree's size (a deposed leader's, or one published twice): changes nothing. */
  | { readonly kind: 'stale'; readonly size: number }
  /** Does not describe the stored events (a count or an offset that disagrees): skipped, an alarm. */
  | { readonly kind: 'refused'; readonly reason: string };

interface LeafRow {
  readonly kafka_partition: number;
  readonly kafka_offset: string;
  readonly leaf_hash: Buffer | null;
  readonly leaf_index: string | null;
}

/**
 * Applies one record of `audit.sequence.v1` (at `offset`) in one transaction: assigns its leaf indexes to the stored
 * events it names and integrates their leaf hashes into the tree. Deterministic, so replaying the topic over the same
 * events rebuilds the same tree: a record is applied only when its `fromIndex` is the tree's size, its `upTo` goes
 * forward, and the events in between are exactly `toIndex - fromIndex`, none indexed yet. Waits (NotYetError) until
 * the events projector has stored every event the record names.
 */
export async function applySequenceRecord(
  postgres: Postgres,
  record: AuditSequenceRecord,
  offset: number,
): Promise<ApplyOutcome> {
  return postgres.transaction(async (tx) => {
    const state = await readLogState(tx, true);
    if (offset < state.sequenceOffset) return { kind: 'duplicate' };
    const handled = async (outcome: ApplyOutcome): Promise<ApplyOutcome> => {
      await tx.query('UPDATE audit_log_state SET sequence_offset = $1', [offset + 1]);
      return outcome;
    };
    if (record.fromIndex !== state.size) return handled({ kind: 'stale', size: state.size });
    await eventsStored(tx, record);
    const refusal = checkRecord(state, record);
    if (refusal !== undefined) return handled({ kind: 'refused', reason: refusal });
    const ranges = rangesBetween(state.upTo, record.upTo);
    const { rows } = await tx.query<LeafRow>(
      `SELECT e.kafka_partition, e.kafka_offset, e.leaf_hash, e.leaf_index FROM ${IN_RANGES}
        ORDER BY e.kafka_partition, e.kafka_offset`,
      rangeParams(ranges),
    );
    const count = record.toIndex - record.fromIndex;
    if (rows.length !== count) {
      return handled({ kind: 'refused', reason: `${rows.length} events stored in its ranges, not ${count}` });
    }
    if (rows.some((row) => row.leaf_index !== null)) {
      return handled({ kind: 'refused', reason: 'an event in its ranges already has a leaf index' });
    }
    const leafHashes = rows.map((row) => row.leaf_hash);
    if (leafHashes.some((hash) => hash?.length !== HASH_SIZE)) {
      return handled({ kind: 'refused', reason: 'an event in its ranges has no leaf hash' });
    }
    await tx.query(
      `UPDATE audit_events e SET leaf_index = v.leaf_index
         FROM unnest($1::int[], $2::bigint[], $3::bigint[]) AS v(p, o, leaf_index)
        WHERE e.kafka_partition = v.p AND e.kafka_offset = v.o`,
      [
        rows.map((row) => row.kafka_partition),
        rows.map((row) => row.kafka_offset),
        rows.map((_, i) => record.fromIndex + i),
      ],
    );
    const root = await integrate(tx, state.size, leafHashes as Buffer[]);
    await tx.query('UPDATE audit_log_state SET size = $1, root = $2, up_to = $3, sequence_offset = $4', [
      record.toIndex,
      root,
      JSON.stringify(record.upTo),
      offset + 1,
    ]);
    return { kind: 'applied', size: record.toIndex };
  });
}

/** Throws NotYetError until the events projector has stored every partition up to the record's `upTo`. */
async function eventsStored(tx: Queryable, record: AuditSequenceRecord): Promise<void> {
  const progress = new Map((await readProjectionProgress(tx)).map((entry) => [entry.partition, entry.offset]));
  const behind = record.upTo.filter((entry) => (progress.get(entry.partition) ?? 0) < entry.offset);
  if (behind.length > 0) {
    throw new NotYetError(`audit events not stored yet in partitions ${behind.map((e) => e.partition).join(', ')}`);
  }
}

/** Why a record at the tree's size cannot be applied, if it cannot: its `upTo` must not go back on any partition. */
function checkRecord(state: LogState, record: AuditSequenceRecord): string | undefined {
  const after = new Map(record.upTo.map((entry) => [entry.partition, entry.offset]));
  const back = state.upTo.find((entry) => (after.get(entry.partition) ?? -1) < entry.offset);
  return back === undefined ? undefined : `its upTo goes back on partition ${back.partition}`;
}

/** The `auditLogApplier` step: each sequence record applied, at least once (a redelivery is a duplicate). */
export function auditLogApplier(postgres: Postgres, logger: Logger) {
  return bindProjector(STEPS.auditLogApplier, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async (message) => {
      const { fromIndex, toIndex } = message.value;
      const outcome = await applySequenceRecord(postgres, message.value, Number(message.offset));
      const where = { fromIndex, toIndex, sequenceOffset: message.offset };
      if (outcome.kind === 'applied') logger.debug({ ...where, size: outcome.size }, 'audit log leaves applied');
      if (outcome.kind === 'stale') logger.info({ ...where, size: outcome.size }, 'audit log sequence record stale');
      if (outcome.kind === 'refused') {
        // An alarm: the record and the stored events disagree. The leaves stay unsequenced until a later record.
        logger.error({ ...where, reason: outcome.reason }, 'audit log sequence record refused');
      }
    },
  });
}
