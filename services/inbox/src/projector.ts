import { auditEvent } from '@hub/audit';
import { auditEventsTopic, STEPS } from '@hub/contracts';
import { bindStage, OUTAGE_TOLERANT_RETRY, output } from '@hub/kafka';
import type { InboxStore } from './store.ts';

const SERVICE = 'inbox';

/**
 * Puts each issued notification into its inbox at its offset (its position: the topic is keyed by recipient, so
 * one inbox is one partition, in order) and audits `notification-stored` in the same transaction as the consumer
 * offset. The Redis append is idempotent (a retried, redelivered or replayed message keeps its first position), so
 * running the handler again is harmless, and a replay of the topic rebuilds the same positions. A replay (the view's
 * rebuild) appends a fetched batch at once (`replayBatch`: every append issued together, so the Redis client sends
 * them in one pipeline, in order; issue 10), not one round trip per notification.
 */
export function inboxProjector(store: InboxStore, now: () => Date) {
  return bindStage(STEPS.inboxStore, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async ({ value: notification, offset }) => {
      // Past its retention (a replay of old records): not stored, so not audited as stored.
      if ((await store.append(notification, offset)).expired) return [];
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
    replayBatch: async (messages) => {
      const appends = await Promise.allSettled(messages.map(({ value, offset }) => store.append(value, offset)));
      const failed = appends.find((outcome) => outcome.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
  });
}
