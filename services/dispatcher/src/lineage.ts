import type { DaPayloadKind } from '@hub/contracts';
import type { IssuedSlot } from '@hub/policy';
import type { RedisClient } from '@hub/redis';

/**
 * Which notification each new one amends: per incident, kind, recipient and person, the latest notification id
 * issued and the one before it. A Redis view written inside the dispatcher's (retryable) handler, so it is
 * written idempotently: recording the same id twice changes nothing, and reading while the current id is the
 * one being issued answers the one before it. A withdrawal is recorded in the slot of the notification it
 * withdraws, so a later share to the same recipient and person amends the withdrawal.
 *
 * Per incident it also keeps which slots the latest receipt filled (and the receipt before it, the same way), so
 * an amendment can tell which recipients it no longer sends anything to.
 */
export interface LineageSlot {
  readonly force: string;
  readonly incidentId: string;
  readonly kind: string;
  readonly recipient: string;
  readonly subjectRef: string | null;
}

const key = (slot: LineageSlot) =>
  `da:lineage:${slot.force}:${slot.incidentId}:${slot.kind}:${slot.recipient}:${slot.subjectRef ?? '-'}`;

const issuedKey = (force: string, incidentId: string) => `da:issued:${force}:${incidentId}`;

const RECORD = `
local current = redis.call('hget', KEYS[1], 'current')
if current == ARGV[1] then return 0 end
if current then redis.call('hset', KEYS[1], 'previous', current) end
redis.call('hset', KEYS[1], 'current', ARGV[1])
return 1`;

// Same idea per incident: recording the receipt that is already current changes nothing.
const RECORD_ISSUED = `
local current = redis.call('hget', KEYS[1], 'currentReceipt')
if current == ARGV[1] then return 0 end
if current then
  redis.call('hset', KEYS[1], 'previousReceipt', current, 'previous', redis.call('hget', KEYS[1], 'current'))
end
redis.call('hset', KEYS[1], 'currentReceipt', ARGV[1], 'current', ARGV[2])
return 1`;

function parseSlots(raw: string | null): IssuedSlot[] {
  if (raw === null) return [];
  const value = JSON.parse(raw) as unknown;
  if (!Array.isArray(value)) throw new Error('da:issued holds no slot list');
  return value.map((entry: unknown): IssuedSlot => {
    const slot = entry as Partial<Record<keyof IssuedSlot, unknown>>;
    if (
      typeof slot.kind !== 'string' ||
      typeof slot.recipient !== 'string' ||
      typeof slot.notificationId !== 'string' ||
      (slot.subjectRef !== null && typeof slot.subjectRef !== 'string')
    ) {
      throw new Error('da:issued holds a malformed slot');
    }
    return {
      kind: slot.kind as DaPayloadKind,
      recipient: slot.recipient,
      subjectRef: slot.subjectRef,
      notificationId: slot.notificationId,
    };
  });
}

export function createLineage(redis: RedisClient) {
  return {
    /** The id `notificationId` amends in `slot`, or null for the first notification there. */
    async amends(slot: LineageSlot, notificationId: string): Promise<string | null> {
      const [current, previous] = await redis.hmget(key(slot), 'current', 'previous');
      return (current === notificationId ? previous : current) ?? null;
    },
    async record(slot: LineageSlot, notificationId: string): Promise<void> {
      await redis.eval(RECORD, 1, key(slot), notificationId);
    },
    /**
     * The slots the incident's receipt before `receiptId` filled: the latest recorded receipt's, or, when that is
     * `receiptId` itself (a retried dispatch), the one before it. Empty for an incident's first receipt.
     */
    async issuedBefore(force: string, incidentId: string, receiptId: string): Promise<IssuedSlot[]> {
      const [currentReceipt, current, previous] = await redis.hmget(
        issuedKey(force, incidentId),
        'currentReceipt',
        'current',
        'previous',
      );
      return parseSlots((currentReceipt === receiptId ? previous : current) ?? null);
    },
    /** Records the slots `receiptId` filled (its notifications; not its withdrawals). Idempotent. */
    async recordIssued(
      force: string,
      incidentId: string,
      receiptId: string,
      slots: readonly IssuedSlot[],
    ): Promise<void> {
      const value = slots.map(({ kind, recipient, subjectRef, notificationId }) => ({
        kind,
        recipient,
        subjectRef,
        notificationId,
      }));
      await redis.eval(RECORD_ISSUED, 1, issuedKey(force, incidentId), receiptId, JSON.stringify(value));
    },
  };
}

export type Lineage = ReturnType<typeof createLineage>;
