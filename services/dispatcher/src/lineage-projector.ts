import { STEPS } from '@hub/contracts';
import { bindBatchProjector, OUTAGE_TOLERANT_RETRY, type ProjectorBinding } from '@hub/kafka';
import type { Lineage } from './lineage.ts';

/**
 * The amendment lineage's projector (`STEPS.dispatcherLineage`): each issued record of `notifications.issued.v1`
 * written into the lineage by `recordIssued`, the dispatcher's own write, so the view rebuilt by replaying the topic
 * is the one the dispatcher wrote. Records without `lineage` (child-protection kinds, records issued before the
 * field) are passed over. Idempotent and order-free: the topic is keyed by recipient, so one decision set's records
 * come in any order across partitions; a fetched batch goes to Redis in one pipeline (issue 10). A Redis outage is
 * retried for about a quarter of an hour (OUTAGE_TOLERANT_RETRY), never dead-lettered at once. It runs only when the
 * lineage is rebuilt (`rebuildOnly`): live, the dispatcher writes each record it issues before its commit.
 */
export function lineageProjector(lineage: Lineage): ProjectorBinding<typeof STEPS.dispatcherLineage> {
  return bindBatchProjector(STEPS.dispatcherLineage, {
    retry: OUTAGE_TOLERANT_RETRY,
    handleBatch: (messages) => lineage.recordAllIssued(messages.map(({ value }) => value)),
  });
}
