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
  it('appends each notification once, even when redelivered, with a sequence per inbox', async () => {
    expect(await store.append(notification(1))).toEqual({ sequence: 1, isNew: true });
    expect(await store.append(notification(2))).toEqual({ sequence: 2, isNew: true });
    expect(await store.append(notification(1))).toEqual({ sequence: 1, isNew: false });
    expect(await store.append(notification(3, 'gp:B82002'))).toEqual({ sequence: 1, isNew: true });

    const page = await store.page('gp:A81001', 0, 10);
    expect(page.map((item) => [item.id, item.sequence])).toEqual([
      [notification(1).notificationId, 1],
      [notification(2).notificationId, 2],
    ]);
  });

  it('pages by cursor: after the last sequence seen, at most limit items', async () => {
    for (let n = 10; n < 15; n++) await store.append(notification(n, 'marac:E06000066'));
    const first = await store.page('marac:E06000066', 0, 2);
    const second = await store.page('marac:E06000066', first.at(-1)!.sequence, 2);
    const third = await store.page('marac:E06000066', second.at(-1)!.sequence, 2);
    const empty = await store.page('marac:E06000066', third.at(-1)!.sequence, 2);
    expect([first, second, third].map((page) => page.map((item) => item.sequence))).toEqual([[1, 2], [3, 4], [5]]);
    expect(empty).toEqual([]);
  });

  it('never shows or changes a notification through another inbox', async () => {
    await store.append(notification(20, 'gp:C83003'));
    const id = notification(20).notificationId;
    expect(await store.get('gp:A81001', id)).toBeUndefined();
    expect(await store.advance('gp:A81001', id, 'acknowledged', new Date())).toBeUndefined();
    expect((await store.get('gp:C83003', id))?.status).toBe('delivered');
  });

  it('moves status forward only', async () => {
    await store.append(notification(30, 'gp:D84004'));
    const id = notification(30).notificationId;
    expect(await store.advance('gp:D84004', id, 'fetched', new Date())).toBe('fetched');
    expect(await store.advance('gp:D84004', id, 'acknowledged', new Date())).toBe('acknowledged');
    expect(await store.advance('gp:D84004', id, 'fetched', new Date())).toBe('acknowledged');
    expect((await store.get('gp:D84004', id))?.status).toBe('acknowledged');
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
