import { auditEvent } from '@hub/audit';
import { auditEventsTopic, STEPS } from '@hub/contracts';
import { bindStage, OUTAGE_TOLERANT_RETRY, output } from '@hub/kafka';
import type { InboxStore } from './store.ts';

const SERVICE = 'inbox';

/**
 * Puts each issued notification into its inbox and audits `notification-stored` in the same transaction as the
 * consumer offset. The Redis append is idempotent (a retried or redelivered message keeps its first sequence),
 * so running the handler again is harmless.
 */
export function inboxProjector(store: InboxStore, now: () => Date) {
  return bindStage(STEPS.inboxStore, {
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
