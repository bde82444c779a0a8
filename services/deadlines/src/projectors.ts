import { deliveryMarkOf, STEPS, type AuditEvent, type IssuedNotification } from '@hub/contracts';
import { bindBatchProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { DeadlineStore, ViewChange } from './store.ts';

/**
 * Each issued notification with deadlines into the deadlines view (the stage's own notices have none), and the one
 * it replaces (`amends`: an amendment's notification, or a withdrawal) as superseded. A fetched batch is applied at
 * once (`DeadlineStore.apply`: its notifications concurrently, each one's changes in order; issue 10).
 */
export function scheduleProjector(store: DeadlineStore) {
  return bindBatchProjector(STEPS.deadlineSchedule, {
    retry: OUTAGE_TOLERANT_RETRY,
    handleBatch: (messages) => store.apply(messages.flatMap(({ value }) => scheduleChanges(value))),
  });
}

function scheduleChanges(issued: IssuedNotification): ViewChange[] {
  const changes: ViewChange[] = [];
  if (issued.amends !== null) changes.push({ id: issued.amends, supersededAt: issued.issuedAt });
  if (issued.deadlines === undefined) return changes;
  changes.push({
    id: issued.notificationId,
    schedule: {
      recipient: issued.recipient,
      kind: issued.kind,
      receiptId: issued.receiptId,
      subjectRef: issued.subjectRef,
      issuedAt: issued.issuedAt,
      deadlines: issued.deadlines,
    },
  });
  return changes;
}

/**
 * Each notification's delivery marks from the audit trail: stored, fetched and acknowledged (the inbox's events),
 * overdue, escalated, closed and not delivered (the deadline stage's own decisions, so a rebuilt view knows what
 * fired). Kept for a notification not yet scheduled too: a replay may bring its fetch before its issued record. A
 * fetched batch is applied at once, as above.
 */
export function progressProjector(store: DeadlineStore) {
  return bindBatchProjector(STEPS.deadlineProgress, {
    retry: OUTAGE_TOLERANT_RETRY,
    handleBatch: (messages) => store.apply(messages.flatMap(({ value }) => progressChanges(value))),
  });
}

function progressChanges(event: AuditEvent): ViewChange[] {
  const mark = deliveryMarkOf(event);
  // Decisions name a recipient, not a notification: nothing here to mark.
  if (mark === undefined || event.notificationId === null || mark === 'decided' || mark === 'exception') return [];
  return [{ id: event.notificationId, mark, at: event.at }];
}
