import { STEPS } from '@hub/contracts';
import { bindProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { AuditStore } from './store.ts';

/**
 * Keeps every audit event in the searchable, hash-chained store. At-least-once: a redelivered event is
 * recognised by its id and not chained twice. The chain is per Kafka partition, matching the order Kafka keeps.
 */
export function auditProjector(store: AuditStore) {
  return bindProjector(STEPS.auditStore, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async (message) => {
      await store.append(message.value, message.partition);
    },
  });
}
