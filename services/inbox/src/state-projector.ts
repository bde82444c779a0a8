import { STEPS, type AuditEvent, type InboxStatus } from '@hub/contracts';
import { bindProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { InboxStore } from './store.ts';

const STATUS_OF: Partial<Record<AuditEvent['action'], InboxStatus>> = {
  'notification-fetched': 'fetched',
  'notification-acknowledged': 'acknowledged',
};

/**
 * The inbox states from the audit trail: each fetch and acknowledgement the inbox routes audited moves its
 * notification forward through the same compare-and-set the routes use after their commit (forward only, the first
 * time kept), so applying an event twice, or after the route did, changes nothing, and a rebuilt inbox has its
 * states again.
 */
export function inboxStateProjector(store: InboxStore) {
  return bindProjector(STEPS.inboxStates, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async ({ value: event }) => {
      const status = STATUS_OF[event.action];
      if (event.service !== 'inbox' || status === undefined) return;
      if (event.recipient === null || event.notificationId === null) return;
      await store.advance(event.recipient, event.notificationId, status, new Date(event.at));
    },
  });
}
