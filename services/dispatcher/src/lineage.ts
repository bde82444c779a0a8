import type { RedisClient } from '@hub/redis';

/**
 * Which notification each new one amends: per incident, kind, recipient and person, the latest notification id
 * issued and the one before it. A Redis view written inside the dispatcher's (retryable) handler, so it is
 * written idempotently: recording the same id twice changes nothing, and reading while the current id is the
 * one being issued answers the one before it.
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

const RECORD = `
local current = redis.call('hget', KEYS[1], 'current')
if current == ARGV[1] then return 0 end
if current then redis.call('hset', KEYS[1], 'previous', current) end
redis.call('hset', KEYS[1], 'current', ARGV[1])
return 1`;

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
  };
}

export type Lineage = ReturnType<typeof createLineage>;
