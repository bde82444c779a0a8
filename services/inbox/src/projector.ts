import { auditEvent } from '@hub/audit';
import { auditEventsTopic, notificationsIssuedTopic } from '@hub/contracts';
import { OUTAGE_TOLERANT_RETRY, output, type KafkaClient, type Subscription } from '@hub/kafka';
import type { InboxStore } from './store.ts';

const SERVICE = 'inbox';

/**
 * Puts each issued notification into its inbox and audits `notification-stored` in the same transaction as the
 * consumer offset. The Redis append is idempotent (a retried or redelivered message keeps its first sequence),
 * so running the handler again is harmless.
 */
export function startInboxProjector(kafka: KafkaClient, store: InboxStore, now: () => Date): Promise<Subscription> {
  return kafka.processTransactionally(notificationsIssuedTopic, {
    groupId: 'inbox-store',
    transactionalId: 'inbox-store',
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async ({ value: notification }) => {
      await store.append(notification);
      return [
        output(auditEventsTopic, {
          key: notification.receiptId,
          value: auditEvent(SERVICE, 'notification-stored', now(), {
            receiptId: notification.receiptId,
            recipient: notification.recipient,
            subjectRef: notification.subjectRef,
            notificationId: notification.notificationId,
          }),
        }),
      ];
    },
  });
}
