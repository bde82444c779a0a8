import { createTestClient } from '@hub/auth/testing';
import { contentId, notificationsIssuedTopic, type IssuedNotification, type Recipient } from '@hub/contracts';
import { startStep, type Subscription } from '@hub/kafka';
import { scanKeys } from '@hub/redis';
import { defineService } from '@hub/runtime';
import { startRouteHarness, type RouteHarness } from '@hub/runtime/testing';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorAfter } from './cursor.ts';
import { inboxProjector } from './projector.ts';
import { inboxRoutes } from './routes.ts';
import { createInboxService } from './service.ts';
import { inboxStateProjector } from './state-projector.ts';
import { createInboxStore, type InboxStore, type StoredNotification } from './store.ts';

/*
 * The inbox is a view: after its Redis keys are lost and it is rebuilt by replaying its topics, a client that kept
 * its cursor continues exactly where it was, and every fetched and acknowledged state is back.
 *
 * The rebuild is the one by hand (README "When Redis loses its data"): the hub that lost its keys stops, and a hub
 * whose view steps have consumed nothing starts on the same topics and Redis prefix: its `inboxStore` and
 * `inboxStates` groups replay both topics from their start into the empty view, and it is ready once they have
 * caught up. So the first hub runs the same two steps under groups of the test's own (started here), leaving the
 * steps' own groups fresh for the second.
 */

const RECIPIENT: Recipient = 'gp:A81001';
/** A consumer group's first join takes seconds. */
const WAIT = { timeout: 30_000 };
const gp = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });

/** The hub that loses its keys, then the rebuilt one; the store of whichever is running. */
let h: RouteHarness;
let store: InboxStore;
let steps: Subscription[] = [];

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'inbox',
    clients: [gp],
    services: [
      (deps) => {
        store = createInboxStore(deps.viewRedis('inbox'));
        return defineService({
          name: 'inbox',
          routes: inboxRoutes({ store, kafka: deps.kafka, now: deps.now }),
          views: ['inbox'],
        });
      },
    ],
  });
  steps = await Promise.all([
    startStep(h.deps.kafka, inboxProjector(store, h.deps.now), { groupId: 'inbox-store-before-the-loss' }),
    startStep(h.deps.kafka, inboxStateProjector(store), { groupId: 'inbox-states-before-the-loss' }),
  ]);
});

afterAll(async () => {
  await Promise.all(steps.map((subscription) => subscription.stop()));
  await h.close();
});

/** Stops the first hub and starts the rebuilt one on its topics and Redis prefix, with the inbox service whole. */
async function rebuild(): Promise<void> {
  const { KAFKA_TOPIC_NAMESPACE, REDIS_KEY_PREFIX } = h.deps.config;
  await Promise.all(steps.map((subscription) => subscription.stop()));
  steps = [];
  await h.close();
  h = await startRouteHarness({
    service: 'inbox',
    clients: [gp],
    services: [
      (deps) => {
        store = createInboxStore(deps.viewRedis('inbox'));
        return createInboxService(deps);
      },
    ],
    env: { KAFKA_TOPIC_NAMESPACE, REDIS_KEY_PREFIX },
  });
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
  if (keys.length > 0) await h.runtime.redis.del(...keys);
  expect(await scanKeys(h.runtime.redis, '*')).toEqual([]);
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

    // Redis loses everything; the hub keeps running and two more notifications arrive into the empty view.
    await wipeRedis();
    const after = await deliver(2);
    ids.push(...after.map((notification) => notification.notificationId));

    // Rebuild: the view's steps replay both topics from their start under fresh groups; the hub is ready once
    // they have caught up. Every position and state is the one it had before the wipe (the states come back from
    // the audit trail).
    await rebuild();
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
