import { deliveryMarkOf, STEPS } from '@hub/contracts';
import { bindProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { DeadlineStore } from './store.ts';

/**
 * Each issued notification with deadlines into the deadlines view (the stage's own notices have none), and the one
 * it replaces (`amends`: an amendment's notification, or a withdrawal) as superseded.
 */
export function scheduleProjector(store: DeadlineStore) {
  return bindProjector(STEPS.deadlineSchedule, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async ({ value: issued }) => {
      if (issued.amends !== null) await store.supersede(issued.amends, issued.issuedAt);
      if (issued.deadlines === undefined) return;
      await store.schedule(issued.notificationId, {
        recipient: issued.recipient,
        kind: issued.kind,
        receiptId: issued.receiptId,
        subjectRef: issued.subjectRef,
        issuedAt: issued.issuedAt,
        deadlines: issued.deadlines,
      });
    },
  });
}

/**
 * Each notification's delivery marks from the audit trail: stored, fetched and acknowledged (the inbox's events),
 * overdue, escalated, closed and not delivered (the deadline stage's own decisions, so a rebuilt view knows what
 * fired). Kept for a notification not yet scheduled too: a replay may bring its fetch before its issued record.
 */
export function progressProjector(store: DeadlineStore) {
  return bindProjector(STEPS.deadlineProgress, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async ({ value: event }) => {
      const mark = deliveryMarkOf(event);
      // Decisions name a recipient, not a notification: nothing here to mark.
      if (mark === undefined || event.notificationId === null || mark === 'decided' || mark === 'exception') return;
      await store.mark(event.notificationId, mark, event.at);
    },
  });
}
