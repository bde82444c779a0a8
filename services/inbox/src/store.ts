import type { InboxStatus, IssuedNotification, NotificationKind, Recipient } from '@hub/contracts';
import { evalEach, scanKeys, withLock, type RedisClient } from '@hub/redis';

/**
 * Inboxes as a Redis view of `notifications.issued.v1` and of the fetches and acknowledgements on
 * `audit.events.v1`, rebuildable by replaying both. Each notification's position is its offset in the topic (one
 * inbox is one partition, in order), so a rebuilt inbox has the same positions and a client's cursor still means the
 * same place.
 *
 * Retention (`HUB_INBOX_RETENTION_DAYS`, contracts `INBOX_RETENTION_DAYS`): a notification is in its inbox until its
 * `issuedAt` + the retention, by the hub's clock. Expiry is decided from the record and the clock alone, so a rebuild
 * (which stores only what has not expired) holds what the live view shows: expired items are never answered (`page`,
 * `get`), `page` removes those it meets, a sweep (`sweep`, the inbox service's worker) removes those at the head of
 * each inbox, and Redis drops each notification's hash by itself when it expires (a TTL, for the memory only).
 */
export interface StoredNotification {
  readonly id: string;
  readonly recipient: Recipient;
  /** Its offset in `notifications.issued.v1`, a decimal string. */
  readonly position: string;
  readonly kind: NotificationKind;
  readonly receiptId: string;
  /** The submitting organisation's reference for the person, or null (a referral about everyone). */
  readonly subjectRef: string | null;
  readonly amends: string | null;
  readonly issuedAt: string;
  readonly status: InboxStatus;
  readonly jws: string;
  /** When it was first fetched; null until then (and when it was acknowledged without a fetch). */
  readonly fetchedAt: string | null;
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

/** How many items one `page` call looks through, expired ones included: a page stays quick, a sweep does the rest. */
const MAX_PAGE_LOOKS = 10;
/** Members read per round trip when sweeping the head of an inbox. */
const SWEEP_BATCH = 100;
/** The most inboxes one sweep visits (England has about 6,500 GP practices). */
const MAX_SWEPT_INBOXES = 100_000;
/**
 * Keys SCAN walks per round trip while finding the inboxes: a scan walks the whole keyspace (every notification's
 * key too), and at SCAN's default 100 a hub's Redis took over a thousand round trips per sweep.
 */
const SWEEP_SCAN_BATCH = 1_000;

const keys = {
  /** Sorted set, every score 0, ordered by member: `<position, zero-padded to 19 digits>:<notification id>`. */
  items: (recipient: string) => `inbox:${recipient}:items`,
  notification: (id: string) => `notification:${id}`,
  lock: (recipient: string) => `inbox:${recipient}:lock`,
};

/** A Kafka offset has at most 19 digits; padded, positions order as text exactly as they do as numbers. */
const POSITION_DIGITS = 19;
const padded = (position: string) => position.padStart(POSITION_DIGITS, '0');

// Appends once: a redelivered or replayed notification keeps its first position. A state the audit trail gave
// before the notification arrived (a rebuild replays both topics at once) is kept if it is for the same inbox. The
// hash expires with the notification (ARGV[10], ms from now). Returns [position, 1 if new else 0].
const APPEND = `
local existing = redis.call('hget', KEYS[2], 'position')
if existing then return {existing, 0} end
local status = 'delivered'
if redis.call('hget', KEYS[2], 'recipient') == ARGV[1] then
  status = redis.call('hget', KEYS[2], 'status') or 'delivered'
else
  redis.call('del', KEYS[2])
end
redis.call('hset', KEYS[2], 'recipient', ARGV[1], 'position', ARGV[2], 'kind', ARGV[3], 'receiptId', ARGV[4],
  'amends', ARGV[5], 'issuedAt', ARGV[6], 'status', status, 'jws', ARGV[7], 'subjectRef', ARGV[8])
redis.call('zadd', KEYS[1], 0, ARGV[9])
redis.call('pexpire', KEYS[2], ARGV[10])
return {ARGV[2], 1}`;

// Moves status forward only (delivered -> fetched -> acknowledged), for the right recipient, keeping the first
// time of each. The routes (after their audit event commits) and the projector of those events both write through
// it, so they agree whichever comes first; a state may arrive before its notification (a rebuild replays both
// topics at once) and is kept for it; such a state expires by itself after ARGV[4] ms unless its notification comes
// (one that has expired never does). Returns the status, or false for another inbox's notification.
const ADVANCE = `
local recipient = redis.call('hget', KEYS[1], 'recipient')
if recipient and recipient ~= ARGV[1] then return false end
local order = {delivered = 1, fetched = 2, acknowledged = 3}
local current = redis.call('hget', KEYS[1], 'status') or 'delivered'
if order[ARGV[2]] > order[current] then
  redis.call('hset', KEYS[1], 'recipient', ARGV[1], 'status', ARGV[2], ARGV[2] .. 'At', ARGV[3])
  if not recipient then redis.call('pexpire', KEYS[1], ARGV[4]) end
  return ARGV[2]
end
return current`;

const FIELDS = [
  'recipient',
  'position',
  'kind',
  'receiptId',
  'amends',
  'issuedAt',
  'status',
  'jws',
  'fetchedAt',
  'acknowledgedAt',
  'subjectRef',
] as const;

function toStored(id: string, values: readonly (string | null)[]): StoredNotification | undefined {
  const [recipient, position, kind, receiptId, amends, issuedAt, status, jws, fetchedAt, acknowledgedAt, subjectRef] =
    values;
  // A state without its notification yet (see ADVANCE) is not an item.
  if (recipient == null || position == null || kind == null || issuedAt == null || status == null || jws == null) {
    return undefined;
  }
  return {
    id,
    recipient: recipient,
    position,
    kind: kind as NotificationKind,
    receiptId: receiptId ?? '',
    subjectRef: subjectRef === '' || subjectRef == null ? null : subjectRef,
    amends: amends === '' || amends == null ? null : amends,
    issuedAt,
    status: status as InboxStatus,
    jws,
    fetchedAt: fetchedAt ?? null,
    acknowledgedAt: acknowledgedAt ?? null,
  };
}

export interface InboxStoreOptions {
  /** `HUB_INBOX_RETENTION_DAYS` in ms: how long after `issuedAt` a notification is in its inbox. */
  readonly retentionMs: number;
  /** The hub's clock: expiry is decided by it, never by Redis's. */
  readonly now: () => Date;
}

export function createInboxStore(redis: RedisClient, options: InboxStoreOptions) {
  const { retentionMs, now } = options;
  /** Ms until a notification issued at `issuedAt` leaves its inbox (0 or less: it has). */
  const leftOf = (issuedAt: string) => Date.parse(issuedAt) + retentionMs - now().getTime();

  /** Removes items from an inbox's index and their hashes (expired, or their hash already gone with its TTL). */
  async function remove(recipient: Recipient, members: readonly string[]): Promise<void> {
    if (members.length === 0) return;
    const ids = members.map((member) => member.slice(POSITION_DIGITS + 1));
    await redis
      .multi()
      .zrem(keys.items(recipient), ...members)
      .del(...ids.map((id) => keys.notification(id)))
      .exec();
  }

  /** The stored items of `members` in order, and the members whose notification has expired (or is gone). */
  async function load(members: readonly string[]): Promise<{ items: StoredNotification[]; expired: string[] }> {
    const pipeline = redis.pipeline();
    for (const member of members) pipeline.hmget(keys.notification(member.slice(POSITION_DIGITS + 1)), ...FIELDS);
    const rows = (await pipeline.exec()) ?? [];
    const items: StoredNotification[] = [];
    const expired: string[] = [];
    members.forEach((member, index) => {
      const values = (rows[index]?.[1] as (string | null)[] | undefined) ?? [];
      const stored = toStored(member.slice(POSITION_DIGITS + 1), values);
      if (values.every((value) => value === null) || (stored !== undefined && leftOf(stored.issuedAt) <= 0)) {
        expired.push(member);
      } else if (stored !== undefined) {
        items.push(stored);
      }
    });
    return { items, expired };
  }

  return {
    /**
     * Stores a notification in its inbox once, at `position` (its offset in `notifications.issued.v1`); answers
     * the position it has (the first one it was stored at) and whether it was new. One whose retention has passed is
     * not stored (`expired`: a rebuild replaying old records, or a very late delivery).
     */
    async append(
      notification: IssuedNotification,
      position: string,
    ): Promise<{ position: string; isNew: boolean; expired: boolean }> {
      const left = leftOf(notification.issuedAt);
      if (left <= 0) return { position, isNew: false, expired: true };
      const [stored, isNew] = (await redis.eval(
        APPEND,
        2,
        keys.items(notification.recipient),
        keys.notification(notification.notificationId),
        notification.recipient,
        position,
        notification.kind,
        notification.receiptId,
        notification.amends ?? '',
        notification.issuedAt,
        notification.jws,
        notification.subjectRef ?? '',
        `${padded(position)}:${notification.notificationId}`,
        String(Math.ceil(left)),
      )) as [string, number];
      return { position: stored, isNew: isNew === 1, expired: false };
    },

    /**
     * Notifications at `from` or after, oldest first, at most `limit`; expired ones are passed over and removed (at
     * most `MAX_PAGE_LOOKS` pages of them in one call).
     */
    async page(recipient: Recipient, from: string, limit: number): Promise<StoredNotification[]> {
      const found: StoredNotification[] = [];
      let start = `[${padded(from)}`;
      for (let look = 0; look < MAX_PAGE_LOOKS && found.length < limit; look++) {
        const members = await redis.zrangebylex(keys.items(recipient), start, '+', 'LIMIT', 0, limit - found.length);
        if (members.length === 0) break;
        const { items, expired } = await load(members);
        found.push(...items);
        await remove(recipient, expired);
        if (expired.length === 0) break;
        start = `(${members.at(-1) ?? ''}`;
      }
      return found;
    },

    /**
     * Removes the expired items at the head of every inbox (and any expired among them), for the inbox service's
     * sweep: an inbox nobody reads still loses what it no longer holds. Answers how many it removed. Once `signal`
     * aborts (the worker stopping) it rejects with its reason at the next round trip; what it removed stays removed.
     */
    async sweep(signal?: AbortSignal): Promise<number> {
      let removed = 0;
      const inboxes = await scanKeys(redis, keys.items('*'), {
        maxKeys: MAX_SWEPT_INBOXES,
        batchSize: SWEEP_SCAN_BATCH,
        ...(signal === undefined ? {} : { signal }),
      });
      for (const key of inboxes) {
        const recipient = key.slice('inbox:'.length, -':items'.length); // the key's parts: not a Redis key
        for (;;) {
          signal?.throwIfAborted();
          const members = await redis.zrange(keys.items(recipient), 0, SWEEP_BATCH - 1);
          const { expired } = await load(members);
          await remove(recipient, expired);
          removed += expired.length;
          if (expired.length < SWEEP_BATCH) break;
        }
      }
      return removed;
    },

    /** The notification if it is in `recipient`'s inbox; undefined otherwise (including another inbox's). */
    async get(recipient: Recipient, id: string): Promise<StoredNotification | undefined> {
      const stored = toStored(id, await redis.hmget(keys.notification(id), ...FIELDS));
      return stored?.recipient === recipient && leftOf(stored.issuedAt) > 0 ? stored : undefined;
    },

    /**
     * Moves a notification's status forward, never backwards, keeping the first time of each status. Undefined
     * when it is another inbox's notification.
     */
    async advance(recipient: Recipient, id: string, status: InboxStatus, at: Date): Promise<InboxStatus | undefined> {
      const result = (await redis.eval(
        ADVANCE,
        1,
        keys.notification(id),
        recipient,
        status,
        at.toISOString(),
        String(retentionMs),
      )) as string | null;
      return result === null ? undefined : (result as InboxStatus);
    },

    /**
     * `advance` for many notifications in one pipeline (the inbox-states projector's fetched batch): one round trip.
     * Forward-only and first-time-kept like `advance`, so the moves commute and a batch applied again changes nothing.
     */
    async advanceAll(
      moves: readonly { recipient: Recipient; id: string; status: InboxStatus; at: Date }[],
    ): Promise<void> {
      await evalEach(
        redis,
        ADVANCE,
        moves.map(({ recipient, id, status, at }): [number, ...string[]] => [
          1,
          keys.notification(id),
          recipient,
          status,
          at.toISOString(),
          String(retentionMs),
        ]),
      );
    },

    /**
     * Runs `work` holding the inbox's lock (`inbox:<recipient>:lock`, `INBOX_LOCK`): waits up to 2 s for another
     * request on the inbox to finish, then throws `LockBusyError` (409 `conflict`).
     */
    withLock<R>(recipient: Recipient, work: () => Promise<R>): Promise<R> {
      return withLock(redis, keys.lock(recipient), { ...INBOX_LOCK, busyDetail: INBOX_BUSY }, work);
    },
  };
}

export type InboxStore = ReturnType<typeof createInboxStore>;
