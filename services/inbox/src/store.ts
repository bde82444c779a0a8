import type { InboxStatus, IssuedNotification, NotificationKind, Recipient } from '@hub/contracts';
import { acquireLock, withLock, type RedisClient } from '@hub/redis';

/**
 * Inboxes as a Redis view of `notifications.issued.v1` (rebuildable by replaying the topic). Each inbox is a
 * sorted set of notification ids scored by a per-inbox sequence; the cursor a client passes back is the last
 * sequence it saw, so paging is stable while new notifications arrive.
 */
export interface StoredNotification {
  readonly id: string;
  readonly recipient: Recipient;
  readonly sequence: number;
  readonly kind: NotificationKind;
  readonly receiptId: string;
  /** The submitting organisation's reference for the person, or null (a referral about everyone). */
  readonly subjectRef: string | null;
  readonly amends: string | null;
  readonly issuedAt: string;
  readonly status: InboxStatus;
  readonly jws: string;
  /** When it was first acknowledged; null until then. */
  readonly acknowledgedAt: string | null;
}

/**
 * Serialises fetches and acknowledgements per inbox, across instances, so two concurrent polls cannot both see
 * an item as `delivered` and both audit its fetch. The lock outlives the 10 s handler timeout and expires by
 * itself if its holder dies; a request that cannot get it within `waitMs` gets 409 and retries.
 */
export const INBOX_LOCK = { ttlMs: 15_000, waitMs: 2_000, retryMs: 25 } as const;
const INBOX_BUSY = 'Another request on this inbox is in progress; retry shortly.';

const keys = {
  sequence: (recipient: string) => `inbox:${recipient}:sequence`,
  items: (recipient: string) => `inbox:${recipient}:items`,
  notification: (id: string) => `notification:${id}`,
  lock: (recipient: string) => `inbox:${recipient}:lock`,
};

// Appends once: a redelivered notification keeps its first sequence. Returns [sequence, 1 if new else 0].
const APPEND = `
local existing = redis.call('hget', KEYS[3], 'sequence')
if existing then return {tonumber(existing), 0} end
local sequence = redis.call('incr', KEYS[1])
redis.call('hset', KEYS[3], 'recipient', ARGV[1], 'sequence', sequence, 'kind', ARGV[2], 'receiptId', ARGV[3],
  'amends', ARGV[4], 'issuedAt', ARGV[5], 'status', 'delivered', 'jws', ARGV[6], 'subjectRef', ARGV[8])
redis.call('zadd', KEYS[2], sequence, ARGV[7])
return {sequence, 1}`;

// Moves status forward only (delivered -> fetched -> acknowledged), for the right recipient. Returns the status.
const ADVANCE = `
local recipient = redis.call('hget', KEYS[1], 'recipient')
if recipient ~= ARGV[1] then return false end
local order = {delivered = 1, fetched = 2, acknowledged = 3}
local current = redis.call('hget', KEYS[1], 'status')
if order[ARGV[2]] > order[current] then
  redis.call('hset', KEYS[1], 'status', ARGV[2], ARGV[2] .. 'At', ARGV[3])
  return ARGV[2]
end
return current`;

const FIELDS = [
  'recipient',
  'sequence',
  'kind',
  'receiptId',
  'amends',
  'issuedAt',
  'status',
  'jws',
  'acknowledgedAt',
  'subjectRef',
] as const;

function toStored(id: string, values: readonly (string | null)[]): StoredNotification | undefined {
  const [recipient, sequence, kind, receiptId, amends, issuedAt, status, jws, acknowledgedAt, subjectRef] = values;
  if (recipient == null || sequence == null || kind == null || issuedAt == null || status == null || jws == null) {
    return undefined;
  }
  return {
    id,
    recipient: recipient,
    sequence: Number(sequence),
    kind: kind as NotificationKind,
    receiptId: receiptId ?? '',
    subjectRef: subjectRef === '' || subjectRef == null ? null : subjectRef,
    amends: amends === '' || amends == null ? null : amends,
    issuedAt,
    status: status as InboxStatus,
    jws,
    acknowledgedAt: acknowledgedAt ?? null,
  };
}

export function createInboxStore(redis: RedisClient) {
  return {
    /** Stores a notification in its inbox once; answers whether it was new. */
    async append(notification: IssuedNotification): Promise<{ sequence: number; isNew: boolean }> {
      const [sequence, isNew] = (await redis.eval(
        APPEND,
        3,
        keys.sequence(notification.recipient),
        keys.items(notification.recipient),
        keys.notification(notification.notificationId),
        notification.recipient,
        notification.kind,
        notification.receiptId,
        notification.amends ?? '',
        notification.issuedAt,
        notification.jws,
        notification.notificationId,
        notification.subjectRef ?? '',
      )) as [number, number];
      return { sequence, isNew: isNew === 1 };
    },

    /** Notifications after `afterSequence`, oldest first, at most `limit`. */
    async page(recipient: Recipient, afterSequence: number, limit: number): Promise<StoredNotification[]> {
      const ids = await redis.zrangebyscore(keys.items(recipient), `(${afterSequence}`, '+inf', 'LIMIT', 0, limit);
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hmget(keys.notification(id), ...FIELDS);
      const rows = (await pipeline.exec()) ?? [];
      return ids.flatMap((id, index) => {
        const stored = toStored(id, (rows[index]?.[1] as (string | null)[] | undefined) ?? []);
        return stored === undefined ? [] : [stored];
      });
    },

    /** The notification if it is in `recipient`'s inbox; undefined otherwise (including another inbox's). */
    async get(recipient: Recipient, id: string): Promise<StoredNotification | undefined> {
      const stored = toStored(id, await redis.hmget(keys.notification(id), ...FIELDS));
      return stored?.recipient === recipient ? stored : undefined;
    },

    /** Moves a notification's status forward; never backwards. Undefined when it is not in `recipient`'s inbox. */
    async advance(recipient: Recipient, id: string, status: InboxStatus, at: Date): Promise<InboxStatus | undefined> {
      const result = (await redis.eval(ADVANCE, 1, keys.notification(id), recipient, status, at.toISOString())) as
        string | null;
      return result === null ? undefined : (result as InboxStatus);
    },

    /**
     * Runs `work` holding the inbox's lock (`inbox:<recipient>:lock`, `INBOX_LOCK`): waits up to 2 s for another
     * request on the inbox to finish, then throws `LockBusyError` (409 `conflict`).
     */
    withLock<R>(recipient: Recipient, work: () => Promise<R>): Promise<R> {
      return withLock(redis, keys.lock(recipient), { ...INBOX_LOCK, busyDetail: INBOX_BUSY }, work);
    },

    /** Transitional, for routes.ts's own wait loop until it calls `withLock` above (issue 8): then delete. */
    lock(recipient: Recipient, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
      return acquireLock(redis, keys.lock(recipient), ttlMs);
    },
  };
}

export type InboxStore = ReturnType<typeof createInboxStore>;
