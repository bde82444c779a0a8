import { STEPS } from '@hub/contracts';
import { bindProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { AuditStore } from './store.ts';

/**
 * Keeps every record of audit.events.v1 in the store, one row per record, with its partition's progress in the same
 * PostgreSQL transaction. At-least-once: a redelivered record is the same row (its partition and offset) and
 * changes nothing.
 */
export function auditProjector(store: AuditStore) {
  return bindProjector(STEPS.auditStore, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: (message) =>
      store.project([{ partition: message.partition, offset: message.offset, event: message.value }]),
  });
}
