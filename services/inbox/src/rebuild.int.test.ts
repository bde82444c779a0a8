import { createTestClient } from '@hub/auth/testing';
import { contentId, notificationsIssuedTopic, type IssuedNotification, type Recipient } from '@hub/contracts';
import { scanKeys } from '@hub/redis';
import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorAfter } from './cursor.ts';
import { createInboxService, inboxStoreOf } from './service.ts';
import type { InboxStore, StoredNotification } from './store.ts';

/*
 * The inbox is a view: after its Redis keys are lost, the hub rebuilds it by itself by replaying its topics into a
 * new generation (README "When Redis loses its data"), and a client that kept its cursor continues exactly where it
 * was, with every fetched and acknowledged state back.
 */

const RECIPIENT: Recipient = 'gp:A81001';
/** A consumer group's first join takes seconds. */
const WAIT = { timeout: 30_000 };
const gp = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });

/** The hub whose inbox loses its keys; the test's own store over the same view client. */
let h: RouteHarness;
let store: InboxStore;

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'inbox',
    clients: [gp],
    services: [
      (deps) => {
        store = inboxStoreOf(deps);
        return createInboxService(deps);
      },
    ],
  });
});

afterAll(async () => {
  await h.close();
});

/** Until the hub serves the rebuilt inbox again. */
async function servedAgain(): Promise<void> {
  await expect
    .poll(async () => (await h.inject(null, { method: 'GET', url: '/health/ready' })).statusCode, WAIT)
    .toBe(200);
}

let counter = 0;
/** `count` notifications issued to the inbox, once the running store stage has put each in it. */
async function deliver(count: number): Promise<IssuedNotification[]> {
  const notifications: IssuedNotification[] = [];
  for (let n = 0; n < count; n++) {
    counter += 1;
    const receiptId = contentId('rcpt', uniqueId('receipt'));
    const notificationId = contentId('ntf', receiptId, RECIPIENT, String(counter));
    notifications.push({
      notificationId,
      recipient: RECIPIENT,
      kind: 'da-gp-notification',
      receiptId,
      subjectRef: `S${counter}`,
      amends: null,
      issuedAt: new Date().toISOString(),
      jws: await h.deps.keyStore.sign({ notificationId, recipient: RECIPIENT }, { typ: 'notification+jws' }),
    });
  }
  await h.deps.kafka.publish(
    notificationsIssuedTopic,
    notifications.map((value) => ({ key: RECIPIENT, value })),
  );
  await expect
    .poll(async () => {
      const stored = await Promise.all(notifications.map((n) => store.get(RECIPIENT, n.notificationId)));
      return stored.every((item) => item !== undefined);
    }, WAIT)
    .toBe(true);
  return notifications;
}

interface Page {
  items: { id: string; sequence: string; status: string }[];
  nextCursor: string;
}

async function pull(query: string): Promise<Page> {
  const response = await h.inject(gp, { method: 'GET', url: `/v1/inboxes/${RECIPIENT}/notifications?${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Page>();
}

async function acknowledge(id: string): Promise<void> {
  const response = await h.inject(gp, {
    method: 'POST',
    url: `/v1/inboxes/${RECIPIENT}/notifications/${id}/acknowledgement`,
  });
  expect(response.statusCode, response.body).toBe(200);
}

/** Every key of this test's Redis prefix deleted, as FLUSHALL would for the deployment. */
async function wipeRedis(): Promise<void> {
  const keys = await scanKeys(h.runtime.redis, '*');
  expect(keys.length).toBeGreaterThan(0);
  await h.runtime.redis.del(...keys);
}

const whole = (): Promise<StoredNotification[]> => store.page(RECIPIENT, '0', 100);
const fetchedIds = () =>
  h.audited
    .filter(({ value }) => value.action === 'notification-fetched' && value.recipient === RECIPIENT)
    .map(({ value }) => value.notificationId);

describe('inbox rebuilt from the record', () => {
  it('a client continues from its cursor across a wipe and a rebuild: what came after, exactly once, with every state back', async () => {
    const before = await deliver(5);
    const ids = before.map((notification) => notification.notificationId);

    // The client reads three and keeps its cursor; two are acknowledged, one of them never fetched.
    const first = await pull('limit=3');
    expect(first.items.map((item) => item.id)).toEqual(ids.slice(0, 3));
    const cursor = first.nextCursor;
    await acknowledge(ids[1]!);
    await acknowledge(ids[4]!);
    await expect.poll(() => fetchedIds().length, WAIT).toBe(3);
    const snapshot = await whole();
    expect(snapshot.map((item) => [item.id, item.status])).toEqual([
      [ids[0], 'fetched'],
      [ids[1], 'acknowledged'],
      [ids[2], 'fetched'],
      [ids[3], 'delivered'],
      [ids[4], 'acknowledged'],
    ]);
    expect(snapshot[4]).toMatchObject({ fetchedAt: null, acknowledgedAt: expect.any(String) as string });

    // Redis loses everything; the hub keeps running, notices, and rebuilds the inbox from both topics while two
    // more notifications arrive. Every position and state is the one it had before the wipe (the states come back
    // from the audit trail).
    await wipeRedis();
    const after = await deliver(2);
    ids.push(...after.map((notification) => notification.notificationId));
    await servedAgain();
    await expect.poll(async () => (await whole()).map((item) => item.id), WAIT).toEqual(ids);
    await expect.poll(async () => (await whole()).slice(0, 5), WAIT).toEqual(snapshot);
    const rebuilt = await whole();
    expect(rebuilt.slice(5).map((item) => [item.status, item.fetchedAt, item.acknowledgedAt])).toEqual([
      ['delivered', null, null],
      ['delivered', null, null],
    ]);

    // The kept cursor: exactly what came after it, none twice, in order, at the positions of the record.
    const next = await pull(`cursor=${cursor}&limit=100`);
    expect(next.items.map((item) => [item.id, item.sequence, item.status])).toEqual([
      [ids[3], rebuilt[3]!.position, 'fetched'],
      [ids[4], rebuilt[4]!.position, 'acknowledged'],
      [ids[5], rebuilt[5]!.position, 'fetched'],
      [ids[6], rebuilt[6]!.position, 'fetched'],
    ]);
    expect(next.nextCursor).toBe(cursorAfter(rebuilt[6]!.position));
    expect((await pull(`cursor=${next.nextCursor}`)).items).toEqual([]);

    // The same cursor is made again from the rebuilt view, and nothing fetched before the wipe is fetched again.
    const again = await pull('limit=3');
    expect(again.items.map((item) => [item.id, item.status])).toEqual([
      [ids[0], 'fetched'],
      [ids[1], 'acknowledged'],
      [ids[2], 'fetched'],
    ]);
    expect(again.nextCursor).toBe(cursor);
    // Fetches audited: the three before the wipe, then the three new to this client; none twice.
    const fetched = await h.auditedWhere(
      (event) => event.action === 'notification-fetched' && event.recipient === RECIPIENT,
      6,
    );
    expect(fetched.map((event) => event.notificationId).sort()).toEqual(
      [ids[0], ids[1], ids[2], ids[3], ids[5], ids[6]].sort(),
    );
  });
});
