import {
  DELIVERY_MARKS,
  deliveryViewOf,
  type DeliveryMark,
  type DeliveryMarks,
  type DeliveryStatus,
} from '@hub/contracts';
import type { RedisClient } from '@hub/redis';
import { nextDue, type DeliveryRecord, type Schedule } from './decide.ts';

/**
 * The deadlines view (`HUB_VIEWS.deadlines`): per notification its schedule (from `notifications.issued.v1`) and
 * its delivery marks with their first times (from `audit.events.v1`: fetched, acknowledged, and the deadline
 * stage's own overdue, escalated, closed, not delivered), so replaying both topics rebuilds it; the notifications
 * with something still to come, scored by when; and the notifications open in each state, for metrics. Ids, inboxes,
 * kinds and times only: no personal data.
 */

const KEYS = {
  /** Hash: `schedule` (JSON), `mark.<mark>` (first time), `superseded` (when), `v` (bumped on every change). */
  notification: (id: string) => `dl:ntf:${id}`,
  /** Sorted set: notification id, scored by when something of it next falls due (ms). */
  pending: 'dl:pending',
  /** Set: the notifications whose status (as a sender sees it) is overdue, escalated or not delivered. */
  state: (status: CountedStatus) => `dl:state:${status}`,
  /** Hash: per action, the offset of the tick whose firing claimed it (a cache: see `claim`). */
  fired: (id: string) => `dl:fired:${id}`,
} as const;

export const COUNTED_STATUSES = ['overdue', 'escalated', 'not-delivered'] as const;
type CountedStatus = (typeof COUNTED_STATUSES)[number];

/** A claim is needed only until the firing is back in the view (seconds); kept a day. */
const CLAIM_TTL_MS = 24 * 60 * 60 * 1000;
const REFRESH_ATTEMPTS = 8;

const MARKS = new Set<string>(DELIVERY_MARKS);

// KEYS: notification, pending, state:overdue, state:escalated, state:not-delivered
// ARGV: id, expected version, next due ('' = nothing left), the KEYS index of its counted state ('' = none)
// Applied only when the notification has not changed since it was read, so a stale answer never overwrites a newer.
const SET_NEXT = `
if (redis.call('hget', KEYS[1], 'v') or '0') ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('zrem', KEYS[2], ARGV[1]) else redis.call('zadd', KEYS[2], ARGV[3], ARGV[1]) end
for i = 3, 5 do redis.call('srem', KEYS[i], ARGV[1]) end
if ARGV[4] ~= '' then redis.call('sadd', KEYS[tonumber(ARGV[4])], ARGV[1]) end
return 1`;

// KEYS: fired hash. ARGV: action, tick offset, ttl. The smallest offset that claimed an action keeps it: a tick
// after it (its firing committed, or committed with it) finds it taken; the same tick again, or an earlier one
// handled again after an abort, takes it back and fires again, as its earlier attempt was never committed.
const CLAIM = `
local current = redis.call('hget', KEYS[1], ARGV[1])
if current and tonumber(current) < tonumber(ARGV[2]) then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
return 1`;

export interface StoredRecord extends DeliveryRecord {
  readonly version: string;
}

export function createDeadlineStore(redis: RedisClient) {
  async function read(id: string): Promise<StoredRecord> {
    const fields = await redis.hgetall(KEYS.notification(id));
    const marks: DeliveryMarks = {};
    for (const [field, value] of Object.entries(fields)) {
      const mark = field.startsWith('mark.') ? field.slice(5) : '';
      if (MARKS.has(mark)) marks[mark as DeliveryMark] = value;
    }
    const schedule = fields['schedule'];
    const superseded = fields['superseded'];
    return {
      ...(schedule === undefined ? {} : { schedule: JSON.parse(schedule) as Schedule }),
      ...(superseded === undefined ? {} : { supersededAt: superseded }),
      marks,
      version: fields['v'] ?? '0',
    };
  }

  /** Writes `field` once (first value kept); bumps the version when it was new. */
  async function setOnce(id: string, field: string, value: string): Promise<boolean> {
    const key = KEYS.notification(id);
    const added = await redis.hsetnx(key, field, value);
    if (added === 0) return false;
    await redis.hincrby(key, 'v', 1);
    return true;
  }

  /** Reschedules `id` (and its counted state) from what the view holds now; retried when it changes meanwhile. */
  async function refresh(id: string): Promise<void> {
    for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++) {
      const record = await read(id);
      if (record.schedule === undefined) return;
      if (await setNext(id, record, nextDue(record))) return;
    }
    throw new Error('the deadlines view kept changing while it was rescheduled');
  }

  function setNext(id: string, record: StoredRecord, next: number | null): Promise<boolean> {
    const status: DeliveryStatus = deliveryViewOf(record.marks).status;
    const counted = (COUNTED_STATUSES as readonly string[]).indexOf(status);
    return redis
      .eval(
        SET_NEXT,
        5,
        KEYS.notification(id),
        KEYS.pending,
        ...COUNTED_STATUSES.map((state) => KEYS.state(state)),
        id,
        record.version,
        next === null ? '' : String(next),
        counted === -1 ? '' : String(counted + 3),
      )
      .then((applied) => applied === 1);
  }

  return {
    read,
    refresh,

    /** An issued notification's schedule (the first one kept: a re-issue has the same id and deadlines). */
    async schedule(id: string, schedule: Schedule): Promise<void> {
      if (await setOnce(id, 'schedule', JSON.stringify(schedule))) await refresh(id);
    },

    /** A later notification replaced `id` at `at` (it `amends` it): nothing more is due for `id`. */
    async supersede(id: string, at: string): Promise<void> {
      if (await setOnce(id, 'superseded', at)) await refresh(id);
    },

    /** A delivery mark from the audit trail, its first time kept. */
    async mark(id: string, mark: DeliveryMark, at: string): Promise<void> {
      if (await setOnce(id, `mark.${mark}`, at)) await refresh(id);
    },

    /** Up to `limit` notifications with something due at or before `at` (ms). */
    due(at: number, limit: number): Promise<string[]> {
      return redis.zrangebyscore(KEYS.pending, '-inf', at, 'LIMIT', 0, limit);
    },

    /**
     * Looks at `record` again no earlier than `at` (ms), unless it has changed since it was read (then its own
     * refresh has set when). Keeps a ticked notification from being ticked on every poll until its firing is back.
     */
    snooze(id: string, record: StoredRecord, at: number): Promise<boolean> {
      return setNext(id, record, at);
    },

    /** Claims `action` of `id` for the tick at `offset` (see CLAIM); false when an earlier tick has it. */
    async claim(id: string, action: string, offset: string): Promise<boolean> {
      return (await redis.eval(CLAIM, 1, KEYS.fired(id), action, offset, String(CLAIM_TTL_MS))) === 1;
    },

    /** How many notifications are open in each counted state now (for metrics: counts only). */
    async counts(): Promise<Record<CountedStatus, number>> {
      const sizes = await Promise.all(COUNTED_STATUSES.map((state) => redis.scard(KEYS.state(state))));
      return Object.fromEntries(COUNTED_STATUSES.map((state, index) => [state, sizes[index] ?? 0])) as Record<
        CountedStatus,
        number
      >;
    },
  };
}

export type DeadlineStore = ReturnType<typeof createDeadlineStore>;
