import { STEPS, type AuditEvent, type InboxStatus } from '@hub/contracts';
import { bindBatchProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { InboxStore } from './store.ts';

const STATUS_OF: Partial<Record<AuditEvent['action'], InboxStatus>> = {
  'notification-fetched': 'fetched',
  'notification-acknowledged': 'acknowledged',
};

/**
 * The inbox states from the audit trail: each fetch and acknowledgement the inbox routes audited moves its
 * notification forward through the same compare-and-set the routes use after their commit (forward only, the first
 * time kept), so applying an event twice, or after the route did, changes nothing, and a rebuilt inbox has its
 * states again. A fetched batch's moves go to Redis in one pipeline (issue 10: one round trip per batch).
 */
export function inboxStateProjector(store: InboxStore) {
  return bindBatchProjector(STEPS.inboxStates, {
    retry: OUTAGE_TOLERANT_RETRY,
    handleBatch: (messages) =>
      store.advanceAll(
        messages.flatMap(({ value: event }) => {
          const status = STATUS_OF[event.action];
          if (event.service !== 'inbox' || status === undefined) return [];
          if (event.recipient === null || event.notificationId === null) return [];
          return [{ recipient: event.recipient, id: event.notificationId, status, at: new Date(event.at) }];
        }),
      ),
  });
}
