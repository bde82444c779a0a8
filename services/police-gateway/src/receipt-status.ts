import {
  DELIVERY_MARKS,
  deliveryMarkOf,
  deliveryViewOf,
  type AuditEvent,
  type DeliveryMark,
  type DeliveryMarks,
  type ReceiptRecipientStatus,
} from '@hub/contracts';
import type { RedisClient } from '@hub/redis';

/**
 * Per-recipient delivery status of each receipt, for the submitting force: a Redis view projected from the audit
 * trail (so it can be rebuilt by replaying `audit.events.v1`). Per recipient and subject it keeps each delivery
 * mark (decided, delivered, fetched, acknowledged, overdue, escalated, closed, not delivered: `DELIVERY_MARKS`) with
 * the time it first happened, and shows the status they add up to (`deliveryViewOf`). Holds recipients, the
 * force's own subject refs, reason codes and times: no personal data.
 */

export type RecipientStatusEntry = ReceiptRecipientStatus;

const key = (receiptId: string) => `da:receipt:${receiptId}:status`;

/** One hash field per recipient, subject and mark (`<recipient>|<subjectRef>|<mark>`), set once: first time kept. */
const markField = (recipient: string, subjectRef: string | null, mark: DeliveryMark | 'reason') =>
  `${recipient}|${subjectRef ?? ''}|${mark}`;

const MARKS = new Set<string>(DELIVERY_MARKS);

/** The mark an audit event sets on a police receipt's recipient, if any. */
export function statusFromAudit(event: AuditEvent): DeliveryMark | undefined {
  return deliveryMarkOf(event);
}

export function createReceiptStatusView(redis: RedisClient) {
  return {
    /** Applies one audit event; idempotent and order-tolerant (each mark keeps its first time). */
    apply(event: AuditEvent): Promise<void> {
      return this.applyAll([event]);
    },

    /**
     * Applies audit events (a projector's fetched batch) in one pipeline: one round trip however many there are.
     * Idempotent and order-tolerant like `apply`, so a batch applied again, or in part, changes nothing.
     */
    async applyAll(events: readonly AuditEvent[]): Promise<void> {
      const pipeline = redis.pipeline();
      let writes = 0;
      for (const event of events) {
        const mark = deliveryMarkOf(event);
        // Only police receipts have a status view; plan versions, look-ups and refusals (cpv_, lkp_, cpr_) do not.
        if (mark === undefined || event.receiptId?.startsWith('rcpt_') !== true || event.recipient === null) continue;
        const receipt = key(event.receiptId);
        pipeline.hsetnx(receipt, markField(event.recipient, event.subjectRef, mark), event.at);
        writes += 1;
        if (mark === 'exception' && event.reason !== null) {
          pipeline.hsetnx(receipt, markField(event.recipient, event.subjectRef, 'reason'), event.reason);
        }
      }
      if (writes === 0) return;
      // exec answers each command's error in place rather than rejecting: a failed write fails the batch (retried).
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    },

    async entries(receiptId: string): Promise<RecipientStatusEntry[]> {
      const fields = await redis.hgetall(key(receiptId));
      const byRecipient = new Map<string, { marks: DeliveryMarks; reason: string | null }>();
      for (const [field, value] of Object.entries(fields)) {
        const [recipient, subjectRef, mark] = field.split('|');
        if (recipient === undefined || subjectRef === undefined || mark === undefined) continue;
        const id = `${recipient}|${subjectRef}`;
        const entry = byRecipient.get(id) ?? { marks: {}, reason: null };
        byRecipient.set(id, entry);
        if (mark === 'reason') entry.reason = value;
        else if (MARKS.has(mark)) entry.marks[mark as DeliveryMark] = value;
      }
      return [...byRecipient.entries()]
        .map(([id, { marks, reason }]) => {
          const [recipient = '', subjectRef = ''] = id.split('|');
          const view = deliveryViewOf(marks);
          return {
            recipient,
            subjectRef: subjectRef === '' ? null : subjectRef,
            status: view.status,
            reason: view.status === 'exception' ? reason : null,
            updatedAt: Object.values(marks).sort().at(-1) ?? '',
            deadline: view.deadline,
            times: view.times,
          };
        })
        .filter((entry) => entry.updatedAt !== '')
        .sort(
          (a, b) => a.recipient.localeCompare(b.recipient) || (a.subjectRef ?? '').localeCompare(b.subjectRef ?? ''),
        );
    },
  };
}

export type ReceiptStatusView = ReturnType<typeof createReceiptStatusView>;
