import { inboxRetentionMs, INBOX_RETENTION_DAYS, type IssuedNotification } from '@hub/contracts';
import { closeRedis, createRedis, LockBusyError, scanKeys, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxProjector } from './projector.ts';
import { createInboxStore, INBOX_LOCK, type InboxStore } from './store.ts';

let redis: RedisClient;
let store: InboxStore;
const clients: RedisClient[] = [];
const RETENTION_MS = inboxRetentionMs(INBOX_RETENTION_DAYS.default);
/** The hub's clock for these stores: a day after the fixtures' notifications were issued. */
const clock = { now: new Date('2026-11-23T00:00:00.000Z') };

/** A Redis client on a key space of its own. */
function keySpace(): RedisClient {
  const client = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'inbox-test',
    logger: captureLogs().logger,
  });
  clients.push(client);
  return client;
}

beforeAll(() => {
  redis = keySpace();
  store = createInboxStore(redis, { retentionMs: RETENTION_MS, now: () => clock.now });
});
afterAll(async () => {
  for (const client of clients) {
    const written = await scanKeys(client, '*');
    if (written.length > 0) await client.del(...written);
    await closeRedis(client);
  }
});

function notification(n: number, recipient: IssuedNotification['recipient'] = 'gp:A81001'): IssuedNotification {
  return {
    notificationId: `ntf_${n.toString(16).padStart(32, '0')}`,
    recipient,
    kind: 'da-gp-notification',
    receiptId: 'rcpt_1',
    subjectRef: null,
    amends: null,
    issuedAt: '2026-11-22T00:00:00.000Z',
    jws: `header.payload${n}.signature`,
  };
}

describe('inbox store', () => {
  it('appends each notification once, at its first position, even when redelivered at another', async () => {
    expect(await store.append(notification(1), '0')).toEqual({ position: '0', isNew: true, expired: false });
    expect(await store.append(notification(2), '3')).toEqual({ position: '3', isNew: true, expired: false });
    expect(await store.append(notification(1), '0')).toEqual({ position: '0', isNew: false, expired: false });
    expect(await store.append(notification(1), '7')).toEqual({ position: '0', isNew: false, expired: false });
    expect(await store.append(notification(3, 'gp:B82002'), '1')).toEqual({
      position: '1',
      isNew: true,
      expired: false,
    });

    const page = await store.page('gp:A81001', '0', 10);
    expect(page.map((item) => [item.id, item.position])).toEqual([
      [notification(1).notificationId, '0'],
      [notification(2).notificationId, '3'],
    ]);
  });

  it('pages from a position: in numeric order (across digit counts and beyond 2^53), at most limit items', async () => {
    const recipient = 'marac:E06000066';
    const positions = ['9', '10', '99', '100', '9007199254740992', '9007199254740993', '9223372036854775807'];
    // Appended out of order: the order is the positions', not the arrival's.
    for (const [n, position] of [...positions.entries()].reverse()) {
      await store.append(notification(10 + n, recipient), position);
    }
    const first = await store.page(recipient, '0', 3);
    const second = await store.page(recipient, '100', 3);
    const third = await store.page(recipient, '9007199254740993', 3);
    const beyond = await store.page(recipient, '9223372036854775808', 3);
    expect([first, second, third].map((page) => page.map((item) => item.position))).toEqual([
      ['9', '10', '99'],
      ['100', '9007199254740992', '9007199254740993'],
      ['9007199254740993', '9223372036854775807'],
    ]);
    expect(first.map((item) => item.id)).toEqual([10, 11, 12].map((n) => notification(n).notificationId));
    expect(await store.page(recipient, '101', 1)).toEqual([second[1]]);
    expect(beyond).toEqual([]);
  });

  it('never shows or changes a notification through another inbox', async () => {
    await store.append(notification(20, 'gp:C83003'), '20');
    const id = notification(20).notificationId;
    expect(await store.get('gp:A81001', id)).toBeUndefined();
    expect(await store.advance('gp:A81001', id, 'acknowledged', new Date())).toBeUndefined();
    expect((await store.get('gp:C83003', id))?.status).toBe('delivered');
  });

  it('moves status forward only, keeping the time each status was first reached', async () => {
    await store.append(notification(30, 'gp:D84004'), '30');
    const id = notification(30).notificationId;
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 9, minute));
    expect(await store.advance('gp:D84004', id, 'fetched', at(1))).toBe('fetched');
    expect(await store.advance('gp:D84004', id, 'fetched', at(2))).toBe('fetched');
    expect(await store.advance('gp:D84004', id, 'acknowledged', at(3))).toBe('acknowledged');
    expect(await store.advance('gp:D84004', id, 'acknowledged', at(4))).toBe('acknowledged');
    expect(await store.advance('gp:D84004', id, 'fetched', at(5))).toBe('acknowledged');
    expect(await store.get('gp:D84004', id)).toMatchObject({
      status: 'acknowledged',
      fetchedAt: at(1).toISOString(),
      acknowledgedAt: at(3).toISOString(),
    });
  });

  it('moves a batch of notifications in one pipeline as one by one, and the batch again changes nothing', async () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 9, minute));
    const [a, b] = [notification(50, 'gp:E85005'), notification(51, 'gp:E85005')];
    await store.append(a, '50');
    await store.append(b, '51');
    const moves = [
      { recipient: 'gp:E85005' as const, id: a.notificationId, status: 'fetched' as const, at: at(1) },
      { recipient: 'gp:E85005' as const, id: b.notificationId, status: 'fetched' as const, at: at(2) },
      { recipient: 'gp:E85005' as const, id: a.notificationId, status: 'acknowledged' as const, at: at(3) },
      // Another inbox's notification: not moved.
      { recipient: 'gp:F86006' as const, id: b.notificationId, status: 'acknowledged' as const, at: at(4) },
    ];
    await store.advanceAll(moves);
    await store.advanceAll([...moves].reverse().map((move) => ({ ...move, at: at(9) })));
    await store.advanceAll([]);
    expect(await store.get('gp:E85005', a.notificationId)).toMatchObject({
      status: 'acknowledged',
      fetchedAt: at(1).toISOString(),
      acknowledgedAt: at(3).toISOString(),
    });
    expect(await store.get('gp:E85005', b.notificationId)).toMatchObject({
      status: 'fetched',
      fetchedAt: at(2).toISOString(),
      acknowledgedAt: null,
    });
  });

  it('keeps a state that arrives before its notification (a rebuild replays both topics at once), for its inbox only', async () => {
    const early = notification(40, 'gp:G87007');
    const at = new Date('2026-11-23T10:00:00.000Z');
    expect(await store.advance('gp:G87007', early.notificationId, 'acknowledged', at)).toBe('acknowledged');
    // A state alone is not an item.
    expect(await store.get('gp:G87007', early.notificationId)).toBeUndefined();
    expect(await store.page('gp:G87007', '0', 10)).toEqual([]);
    await store.append(early, '40');
    expect(await store.get('gp:G87007', early.notificationId)).toMatchObject({
      position: '40',
      status: 'acknowledged',
      fetchedAt: null,
      acknowledgedAt: at.toISOString(),
    });

    // A state recorded under another inbox does not carry over to the notification.
    const elsewhere = notification(41, 'gp:G87007');
    expect(await store.advance('gp:H88008', elsewhere.notificationId, 'fetched', at)).toBe('fetched');
    await store.append(elsewhere, '41');
    expect(await store.get('gp:G87007', elsewhere.notificationId)).toMatchObject({
      status: 'delivered',
      fetchedAt: null,
      acknowledgedAt: null,
    });
  });

  describe('retention: a notification is in its inbox until issuedAt + the retention, by the hub clock', () => {
    const DAY = 24 * 60 * 60 * 1000;
    const issuedDaysAgo = (n: number, days: number, recipient: IssuedNotification['recipient']) => ({
      ...notification(n, recipient),
      issuedAt: new Date(clock.now.getTime() - days * DAY).toISOString(),
    });
    /** Every key of a key space with its value (hashes as field lists, sorted sets as members), without TTLs. */
    async function dump(client: RedisClient): Promise<unknown[]> {
      const keys = (await scanKeys(client, '*')).sort();
      return Promise.all(
        keys.map(async (key) =>
          key.endsWith(':items') ? [key, await client.zrange(key, 0, -1)] : [key, await client.hgetall(key)],
        ),
      );
    }

    it('stores nothing past its retention, and hides, then removes, what passes it', async () => {
      const recipient = 'gp:J90010';
      const old = issuedDaysAgo(60, INBOX_RETENTION_DAYS.default + 1, recipient);
      expect(await store.append(old, '60')).toEqual({ position: '60', isNew: false, expired: true });
      const [a, b, c] = [
        issuedDaysAgo(61, 89, recipient),
        issuedDaysAgo(62, 30, recipient),
        issuedDaysAgo(63, 1, recipient),
      ];
      for (const [i, item] of [a, b, c].entries()) expect((await store.append(item, String(61 + i))).isNew).toBe(true);
      // Redis drops the hash by itself when the notification expires (the memory only: the clock decides).
      expect(await redis.pttl(`notification:${a.notificationId}`)).toBeLessThanOrEqual(DAY);
      expect(await redis.pttl(`notification:${a.notificationId}`)).toBeGreaterThan(DAY - 60_000);
      expect((await store.page(recipient, '0', 10)).map((item) => item.id)).toEqual(
        [a, b, c].map((item) => item.notificationId),
      );

      // Two days on, `a` has passed its retention: not answered, and removed by the page that met it.
      clock.now = new Date(clock.now.getTime() + 2 * DAY);
      try {
        expect(await store.get(recipient, a.notificationId)).toBeUndefined();
        expect((await store.page(recipient, '0', 2)).map((item) => item.id)).toEqual(
          [b, c].map((item) => item.notificationId),
        );
        expect(await redis.zrange(`inbox:${recipient}:items`, 0, -1)).toHaveLength(2);
        expect(await redis.exists(`notification:${a.notificationId}`)).toBe(0);
      } finally {
        clock.now = new Date(clock.now.getTime() - 2 * DAY);
      }
    });

    it('sweeps what no reader met, and a rebuild at that time holds exactly what the swept live view holds', async () => {
      const recipients = ['gp:K91011', 'marac:E06000023'] as const;
      const records = recipients.flatMap((recipient, r) =>
        [100, 80, 45, 2].map((days, i) => ({
          item: issuedDaysAgo(70 + 10 * r + i, days, recipient),
          position: `${70 + i}`,
        })),
      );
      const live = createInboxStore(keySpace(), { retentionMs: RETENTION_MS, now: () => clock.now });
      for (const { item, position } of records) await live.append(item, position);
      // A state for a notification that expired before it could be stored expires by itself too.
      const liveClient = clients.at(-1) as RedisClient;
      await live.advance('gp:K91011', records[0]!.item.notificationId, 'fetched', clock.now);
      expect(await liveClient.pttl(`notification:${records[0]!.item.notificationId}`)).toBeGreaterThan(0);
      await liveClient.del(`notification:${records[0]!.item.notificationId}`);

      const later = new Date(clock.now.getTime() + 20 * DAY); // the 80-day-old ones expire too
      const liveLater = createInboxStore(liveClient, { retentionMs: RETENTION_MS, now: () => later });
      expect(await liveLater.sweep()).toBe(2);
      const rebuiltClient = keySpace();
      const rebuilt = createInboxStore(rebuiltClient, { retentionMs: RETENTION_MS, now: () => later });
      for (const { item, position } of records) await rebuilt.append(item, position);
      expect(await dump(liveClient)).toEqual(await dump(rebuiltClient));
      expect((await dump(rebuiltClient)).length).toBe(2 + 2 * 2); // two inboxes, two notifications each
      for (const recipient of recipients) {
        expect(await liveLater.page(recipient, '0', 10)).toEqual(await rebuilt.page(recipient, '0', 10));
      }
    });
  });

  it('serialises work per inbox: waits for the holder, and answers 409 conflict after INBOX_LOCK.waitMs', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const held = new Promise<void>((resolve) => (taken = resolve));
    const holder = store.withLock('gp:E85005', async () => {
      taken();
      await released;
      return 'holder';
    });
    await held;
    // Another inbox is not held up.
    expect(await store.withLock('gp:F86006', () => Promise.resolve('other inbox'))).toBe('other inbox');

    const startedAt = Date.now();
    const refused = await store.withLock('gp:E85005', () => Promise.resolve('never')).catch((error: unknown) => error);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(INBOX_LOCK.waitMs);
    expect(refused).toBeInstanceOf(LockBusyError);
    expect(refused).toMatchObject({ code: 'conflict', status: 409 });

    const waiter = store.withLock('gp:E85005', () => Promise.resolve('waiter'));
    release();
    expect(await Promise.all([holder, waiter])).toEqual(['holder', 'waiter']);
  });
});

describe("the inbox projector's replay (a rebuild)", () => {
  /** The records of `notifications.issued.v1` as a fetch hands them over: `entries` are [notification, offset]. */
  const fetched = (entries: readonly (readonly [IssuedNotification, string])[]) =>
    entries.map(([value, offset]) => ({ key: value.recipient, value, headers: {}, topic: 'x', partition: 0, offset }));

  it('appends a fetched batch at once, as one append at a time would: first positions kept, in one round trip', async () => {
    const entries = [
      [notification(11), '0'],
      [notification(12), '1'],
      [notification(11), '2'], // the same notification again: its first position kept
      [notification(13, 'gp:B82002'), '3'],
    ] as const;
    const single = createInboxStore(keySpace(), { retentionMs: RETENTION_MS, now: () => clock.now });
    for (const [value, offset] of entries) await single.append(value, offset);
    const batchedRedis = keySpace();
    let sent = 0;
    const counting = new Proxy(batchedRedis, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'eval' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          sent += 1;
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const batched = createInboxStore(counting, { retentionMs: RETENTION_MS, now: () => clock.now });
    const projector = inboxProjector(batched, () => clock.now);
    // Every append issued before any is answered: one pipeline.
    const replayed = projector.replayBatch?.(fetched(entries));
    expect(sent).toBe(entries.length);
    await replayed;
    for (const recipient of ['gp:A81001', 'gp:B82002'] as const) {
      expect(await batched.page(recipient, '0', 10)).toEqual(await single.page(recipient, '0', 10));
    }
    expect((await batched.page('gp:A81001', '0', 10)).map(({ position }) => position)).toEqual(['0', '1']);
  });
});
