import type { AuditEvent, RecipientStatus } from '@hub/contracts';
import type { RedisClient } from '@hub/redis';

/**
 * Per-recipient delivery status of each receipt, for the submitting force: a Redis view projected from the audit
 * trail (so it can be rebuilt by replaying `audit.events.v1`). Holds recipients, the force's own subject refs,
 * statuses and reason codes: no personal data.
 */

export interface RecipientStatusEntry {
  readonly recipient: string;
  readonly subjectRef: string | null;
  readonly status: RecipientStatus;
  /** For exceptions: the identity reason code (e.g. `no-match`). */
  readonly reason: string | null;
  readonly updatedAt: string;
}

const key = (receiptId: string) => `da:receipt:${receiptId}:status`;

// Replaces the entry only when the new status ranks higher, so redelivered or reordered events never go back.
const ADVANCE = `
local current = redis.call('hget', KEYS[1], ARGV[1])
if current then
  local rank = tonumber(string.match(current, '"rank":(%d+)'))
  if rank >= tonumber(ARGV[3]) then return 0 end
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
return 1`;

// `exception` ranks with `decided`: an unmatched person's item is decided, then delivered to the exceptions inbox.
const RANK: Record<RecipientStatus, number> = { decided: 1, exception: 1, delivered: 2, fetched: 3, acknowledged: 4 };

/** The status an audit event moves a recipient to, if any. */
export function statusFromAudit(event: AuditEvent): RecipientStatus | undefined {
  switch (event.action) {
    case 'decision-recorded':
      if (event.decision?.outcome === 'share') return 'decided';
      if (event.decision?.outcome === 'exception') return 'exception';
      return undefined;
    case 'notification-stored':
      return 'delivered';
    case 'notification-fetched':
      return 'fetched';
    case 'notification-acknowledged':
      return 'acknowledged';
    default:
      return undefined;
  }
}

export function createReceiptStatusView(redis: RedisClient) {
  return {
    /** Applies one audit event; idempotent and order-tolerant. */
    async apply(event: AuditEvent): Promise<void> {
      const status = statusFromAudit(event);
      // Only police receipts have a status view; plan versions, look-ups and refusals (cpv_, lkp_, cpr_) do not.
      if (status === undefined || event.receiptId?.startsWith('rcpt_') !== true || event.recipient === null) return;
      const field = `${event.recipient}|${event.subjectRef ?? ''}`;
      const entry = {
        rank: RANK[status],
        recipient: event.recipient,
        subjectRef: event.subjectRef,
        status,
        reason: status === 'exception' ? event.reason : null,
        updatedAt: event.at,
      };
      await redis.eval(ADVANCE, 1, key(event.receiptId), field, JSON.stringify(entry), String(RANK[status]));
    },

    async entries(receiptId: string): Promise<RecipientStatusEntry[]> {
      const raw = await redis.hvals(key(receiptId));
      return raw
        .map((value) => {
          const { rank: _rank, ...entry } = JSON.parse(value) as RecipientStatusEntry & { rank: number };
          return entry;
        })
        .sort(
          (a, b) => a.recipient.localeCompare(b.recipient) || (a.subjectRef ?? '').localeCompare(b.subjectRef ?? ''),
        );
    },
  };
}

export type ReceiptStatusView = ReturnType<typeof createReceiptStatusView>;
