import { auditEventsTopic } from '@hub/contracts';
import { OUTAGE_TOLERANT_RETRY, type KafkaClient, type Subscription } from '@hub/kafka';
import type { AuditStore } from './store.ts';

/**
 * Keeps every audit event in the searchable, hash-chained store. At-least-once: a redelivered event is
 * recognised by its id and not chained twice. The chain is per Kafka partition, matching the order Kafka keeps.
 */
export function startAuditProjector(kafka: KafkaClient, store: AuditStore): Promise<Subscription> {
  return kafka.consume(auditEventsTopic, {
    groupId: 'audit-store',
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async (message) => {
      await store.append(message.value, message.partition);
    },
  });
}
