import { auditEventsTopic } from '@hub/contracts';
import { OUTAGE_TOLERANT_RETRY, type KafkaClient, type Subscription } from '@hub/kafka';
import type { ReceiptStatusView } from './receipt-status.ts';

/** Projects the audit trail into the forces' receipt status view (idempotent, forward-only). */
export function startReceiptStatusProjector(kafka: KafkaClient, view: ReceiptStatusView): Promise<Subscription> {
  return kafka.consume(auditEventsTopic, {
    groupId: 'police-gateway-receipt-status',
    retry: OUTAGE_TOLERANT_RETRY,
    handle: (message) => view.apply(message.value),
  });
}
