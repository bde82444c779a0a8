import { STEPS } from '@hub/contracts';
import { bindBatchProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { AuditStore } from './store.ts';

/**
 * Keeps every record of audit.events.v1 in the store: each fetched batch of a partition in one PostgreSQL transaction,
 * with the partition's progress. At-least-once: a redelivered record is the same row (its partition and offset) and
 * changes nothing. A batch that fails is stored record by record (a poison record dead-lettered alone).
 */
export function auditProjector(store: AuditStore) {
  return bindBatchProjector(STEPS.auditStore, {
    retry: OUTAGE_TOLERANT_RETRY,
    handleBatch: (messages) =>
      store.project(
        messages.map((message) => ({ partition: message.partition, offset: message.offset, event: message.value })),
      ),
  });
}
