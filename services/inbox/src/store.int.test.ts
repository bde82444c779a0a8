import type { IssuedNotification } from '@hub/contracts';
import { closeRedis, createRedis, LockBusyError, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboxStore, INBOX_LOCK, type InboxStore } from './store.ts';

let redis: RedisClient;
let store: InboxStore;

beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'inbox-test',
    logger: captureLogs().logger,
  });
  store = createInboxStore(redis);
});
afterAll(async () => {
  await closeRedis(redis);
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
    expect(await store.append(notification(1), '0')).toEqual({ position: '0', isNew: true });
    expect(await store.append(notification(2), '3')).toEqual({ position: '3', isNew: true });
    expect(await store.append(notification(1), '0')).toEqual({ position: '0', isNew: false });
    expect(await store.append(notification(1), '7')).toEqual({ position: '0', isNew: false });
    expect(await store.append(notification(3, 'gp:B82002'), '1')).toEqual({ position: '1', isNew: true });

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
