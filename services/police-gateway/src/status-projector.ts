import { auditEventsTopic } from '@hub/contracts';
import type { KafkaClient, Subscription } from '@hub/kafka';
import type { ReceiptStatusView } from './receipt-status.ts';

/** Projects the audit trail into the forces' receipt status view (idempotent, forward-only). */
export function startReceiptStatusProjector(kafka: KafkaClient, view: ReceiptStatusView): Promise<Subscription> {
  return kafka.consume(auditEventsTopic, {
    groupId: 'police-gateway-receipt-status',
    handle: (message) => view.apply(message.value),
  });
}
