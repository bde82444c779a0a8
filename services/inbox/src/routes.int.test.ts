import { createTestClient, type TestClient } from '@hub/auth/testing';
import { contentId, notificationsIssuedTopic, type IssuedNotification, type Recipient } from '@hub/contracts';
import { startRouteHarness, type RouteHarness, type TestApp } from '@hub/runtime/testing';
import { publicJwks, verify } from '@hub/signing';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorAfter } from './cursor.ts';
import { createInboxService, inboxStoreOf } from './service.ts';
import type { InboxStore } from './store.ts';

const NOTIFICATION_TYP = 'notification+jws';

let h: RouteHarness;
let store: InboxStore;
/** The same routes with their Kafka client closed: every audit publish fails, as when the brokers are gone. */
let withoutKafka: TestApp;
const clock = { now: new Date('2026-11-23T09:00:00.000Z') };
const jwsValues: string[] = [];

const gp = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });
const otherGp = createTestClient({ clientId: 'gp-b82002', role: 'gp', organisation: 'B82002' });
const marac = createTestClient({ clientId: 'marac-somerset', role: 'marac', organisation: 'E06000066' });
const localAuthority = createTestClient({
  clientId: 'la-somerset',
  role: 'local-authority',
  organisation: 'E06000066',
});
const police = createTestClient({ clientId: 'police-asp', role: 'police', organisation: 'ASP' });
const ed = createTestClient({ clientId: 'ed-rz9', role: 'unscheduled-care', organisation: 'RZ9' });
/** The page-size test's own authority: its exceptions inbox holds only what that test delivers. */
const sedgemoor = createTestClient({ clientId: 'la-sedgemoor', role: 'local-authority', organisation: 'E07000188' });

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'inbox',
    clients: [gp, otherGp, marac, localAuthority, police, sedgemoor, ed],
    services: [createInboxService],
    now: () => clock.now,
  });
  store = inboxStoreOf(h.deps);
  withoutKafka = await h.withoutKafka();
});

afterAll(async () => {
  // Signed payloads and tokens never reach a log line.
  const text = h.logs.text();
  expect(jwsValues.length).toBeGreaterThan(10);
  for (const secret of [...jwsValues, ...(await h.tokens())]) expect(text).not.toContain(secret);
  await h.close();
});

let counter = 0;
/** A notification signed by the hub's key. */
async function signed(recipient: Recipient): Promise<IssuedNotification> {
  counter += 1;
  const receiptId = contentId('rcpt', uniqueId('receipt'));
  const notificationId = contentId('ntf', receiptId, recipient, String(counter));
  const jws = await h.deps.keyStore.sign(
    { notificationId, recipient, payload: { ref: `S${counter}` } },
    { typ: NOTIFICATION_TYP },
  );
  jwsValues.push(jws);
  return {
    notificationId,
    recipient,
    kind: recipient.startsWith('gp:') ? 'da-gp-notification' : 'da-marac-referral',
    receiptId,
    subjectRef: 'S1',
    amends: null,
    issuedAt: clock.now.toISOString(),
    jws,
  };
}

type Delivered = IssuedNotification & { readonly position: string };

/**
 * `count` notifications issued to `recipient` on `notifications.issued.v1`, as the dispatcher issues them, once the
 * service's store stage has put each in the inbox and audited it `notification-stored` (so that event comes first
 * in `h.audited`); each with the position it got there (its offset).
 */
async function deliverMany(recipient: Recipient, count: number): Promise<Delivered[]> {
  const notifications: IssuedNotification[] = [];
  for (let n = 0; n < count; n++) notifications.push(await signed(recipient));
  await h.deps.kafka.publish(
    notificationsIssuedTopic,
    notifications.map((value) => ({ key: recipient, value })),
  );
  const stored = async () => Promise.all(notifications.map((n) => store.get(recipient, n.notificationId)));
  await expect.poll(async () => (await stored()).every((item) => item !== undefined), { timeout: 15_000 }).toBe(true);
  const ids = new Set(notifications.map((n) => n.notificationId));
  const audited = () =>
    h.audited.filter(({ value }) => value.action === 'notification-stored' && ids.has(value.notificationId ?? ''));
  await expect.poll(() => audited().length, { timeout: 15_000 }).toBe(count);
  return (await stored()).map((item, index) => ({ ...notifications[index]!, position: item!.position }));
}

async function deliver(recipient: Recipient): Promise<Delivered> {
  return (await deliverMany(recipient, 1))[0]!;
}

function listInbox(client: TestClient | undefined, recipient: string, query = '', server: TestApp = h) {
  return server.inject(client ?? null, {
    method: 'GET',
    url: `/v1/inboxes/${recipient}/notifications${query === '' ? '' : `?${query}`}`,
  });
}

function acknowledge(client: TestClient | undefined, recipient: string, id: string, server: TestApp = h) {
  return server.inject(client ?? null, {
    method: 'POST',
    url: `/v1/inboxes/${recipient}/notifications/${id}/acknowledgement`,
  });
}

interface Page {
  items: { id: string; sequence: string; status: string; jws: string; kind: string }[];
  nextCursor: string;
}

const gpActor = { clientId: gp.clientId, role: 'gp', organisation: 'A81001' };

describe('inbox routes', () => {
  it('a GP pages through its own inbox by cursor; each delivered item becomes fetched with exactly one audit event', async () => {
    const recipient = 'gp:A81001';
    const delivered = await deliverMany(recipient, 5);
    const elsewhere = await deliver('gp:B82002');
    const ids = delivered.map((notification) => notification.notificationId);

    const pages: Page[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 4; n++) {
      const response = await listInbox(gp, recipient, `limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const page = response.json<Page>();
      pages.push(page);
      cursor = page.nextCursor;
    }
    expect(pages.map((page) => page.items.map((item) => item.id))).toEqual([
      ids.slice(0, 2),
      ids.slice(2, 4),
      ids.slice(4),
      [],
    ]);
    expect(pages.flatMap((page) => page.items.map((item) => item.status))).toEqual(Array(5).fill('fetched'));
    // Each item's sequence is its position in the record: its offset, increasing through the inbox.
    const positions = delivered.map((notification) => notification.position);
    expect(pages.flatMap((page) => page.items.map((item) => item.sequence))).toEqual(positions);
    for (let n = 1; n < positions.length; n++) expect(BigInt(positions[n]!)).toBeGreaterThan(BigInt(positions[n - 1]!));
    // Nothing new: the cursor comes back unchanged.
    expect(pages[3]!.nextCursor).toBe(pages[2]!.nextCursor);
    expect(pages[3]!.nextCursor).toBe(cursorAfter(positions[4]!));
    expect(pages[0]!.items[0]).toEqual({
      id: ids[0],
      sequence: positions[0],
      kind: 'da-gp-notification',
      amends: null,
      issuedAt: clock.now.toISOString(),
      status: 'fetched',
      jws: delivered[0]!.jws,
    });

    // Reading again from the start moves nothing and audits nothing more.
    const again = (await listInbox(gp, recipient, 'limit=100')).json<Page>();
    expect(again.items.map((item) => [item.id, item.status])).toEqual(ids.map((id) => [id, 'fetched']));

    const fetched = await h.auditedWhere(
      (event) => event.action === 'notification-fetched' && event.recipient === recipient,
      5,
    );
    expect(fetched.map((event) => event.notificationId).sort()).toEqual([...ids].sort());
    for (const event of fetched) {
      const notification = delivered.find((candidate) => candidate.notificationId === event.notificationId)!;
      expect(event).toMatchObject({
        service: 'inbox',
        actor: gpActor,
        recipient,
        receiptId: notification.receiptId,
        nhsNumber: null,
        reason: null,
      });
      expect(h.audited.find(({ value }) => value.eventId === event.eventId)?.key).toBe(notification.receiptId);
    }
    for (const id of ids) expect((await store.get(recipient, id))?.status).toBe('fetched');
    expect((await store.get('gp:B82002', elsewhere.notificationId))?.status).toBe('delivered');
  });

  it('acknowledges idempotently: the same answer every time, audited once', async () => {
    const recipient = 'gp:A81001';
    const notification = await deliver(recipient);
    const first = await acknowledge(gp, recipient, notification.notificationId);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.json()).toEqual({
      id: notification.notificationId,
      status: 'acknowledged',
      acknowledgedAt: clock.now.toISOString(),
    });

    const later = clock.now;
    clock.now = new Date(later.getTime() + 60_000);
    try {
      const repeat = await acknowledge(gp, recipient, notification.notificationId);
      expect(repeat.statusCode).toBe(200);
      expect(repeat.body).toBe(first.body);
      // An empty JSON object is accepted as well.
      const withBody = await h.inject(gp, {
        method: 'POST',
        url: `/v1/inboxes/${recipient}/notifications/${notification.notificationId}/acknowledgement`,
        payload: {},
      });
      expect(withBody.body).toBe(first.body);
    } finally {
      clock.now = later;
    }

    const acknowledged = await h.auditedWhere(
      (event) => event.action === 'notification-acknowledged' && event.notificationId === notification.notificationId,
      1,
    );
    expect(acknowledged).toHaveLength(1);
    expect(acknowledged[0]).toMatchObject({ actor: gpActor, recipient, receiptId: notification.receiptId });
    expect((await store.get(recipient, notification.notificationId))?.status).toBe('acknowledged');

    // Acknowledged before it was ever fetched: a later page shows it acknowledged and audits no fetch.
    const page = (await listInbox(gp, recipient, 'limit=100')).json<Page>();
    expect(page.items.find((item) => item.id === notification.notificationId)?.status).toBe('acknowledged');
    expect(
      h.audited
        .filter(({ value }) => value.notificationId === notification.notificationId)
        .map(({ value }) => value.action),
    ).toEqual(['notification-stored', 'notification-acknowledged']);
  });

  it('answers 404 for a notification that is not in the inbox, and refuses a body with members', async () => {
    const missing = await acknowledge(gp, 'gp:A81001', `ntf_${'f'.repeat(32)}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'not-found', detail: 'There is no such notification in this inbox.' });

    const notification = await deliver('gp:A81001');
    const withMembers = await h.inject(gp, {
      method: 'POST',
      url: `/v1/inboxes/gp:A81001/notifications/${notification.notificationId}/acknowledgement`,
      payload: { acknowledged: true },
    });
    expect(withMembers.statusCode).toBe(400);
    expect(withMembers.json()).toMatchObject({
      errors: [{ pointer: '/body', detail: 'Unknown fields are not allowed (1).' }],
    });
    expect((await store.get('gp:A81001', notification.notificationId))?.status).toBe('delivered');
  });

  it("a GP cannot read or acknowledge another practice's inbox: 404 as if absent, each attempt audited as access-denied", async () => {
    const theirs = await deliver('gp:B82002');
    const read = await listInbox(gp, 'gp:B82002');
    const readAgain = await listInbox(gp, 'gp:B82002');
    const absent = await listInbox(gp, 'gp:Z99999');
    const ack = await acknowledge(gp, 'gp:B82002', theirs.notificationId);

    for (const response of [read, readAgain, absent, ack]) {
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
    // An inbox that exists and one that does not get the same answer.
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined, instance: undefined });
    expect(strip(read.json())).toEqual(strip(absent.json()));
    expect(read.json()).toMatchObject({
      code: 'not-found',
      detail: 'There is no inbox at this address for this client.',
    });

    const denied = await h.auditedWhere(
      (event) => event.action === 'access-denied' && event.actor?.clientId === gp.clientId,
      4,
    );
    expect(denied.map((event) => [event.recipient, event.notificationId, event.reason]).sort()).toEqual(
      [
        ['gp:B82002', null, 'inbox-not-yours'],
        ['gp:B82002', null, 'inbox-not-yours'],
        ['gp:B82002', theirs.notificationId, 'inbox-not-yours'],
        ['gp:Z99999', null, 'inbox-not-yours'],
      ].sort(),
    );
    // Two identical attempts are two events, not one folded by a content-derived id.
    expect(new Set(denied.map((event) => event.eventId)).size).toBe(4);
    expect(h.audited.find(({ value }) => value.eventId === denied[0]!.eventId)?.key).toBe('A81001');

    // Nothing of theirs moved, and nothing of theirs was audited as fetched or acknowledged.
    expect((await store.get('gp:B82002', theirs.notificationId))?.status).toBe('delivered');
    expect(
      h.audited.filter(({ value }) => value.notificationId === theirs.notificationId).map(({ value }) => value.action),
    ).toEqual(['notification-stored', 'access-denied']);
  });

  it('a police force reads only its own force inbox (its non-delivery reports): any other is 404', async () => {
    const notification = await deliver('gp:A81001');
    expect((await listInbox(police, 'force:ASP')).statusCode).toBe(200);
    for (const response of [
      await listInbox(police, 'gp:A81001'),
      await acknowledge(police, 'gp:A81001', notification.notificationId),
      await listInbox(police, 'force:WMP'),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not-found' });
    }
    expect((await store.get('gp:A81001', notification.notificationId))?.status).toBe('delivered');
    // Each attempt is audited as another's inbox.
    const denied = await h.auditedWhere(
      (event) => event.action === 'access-denied' && event.actor?.clientId === police.clientId,
      3,
    );
    expect(denied.map((event) => [event.recipient, event.reason]).sort()).toEqual([
      ['force:WMP', 'inbox-not-yours'],
      ['gp:A81001', 'inbox-not-yours'],
      ['gp:A81001', 'inbox-not-yours'],
    ]);
  });

  it('refuses a role without inboxes with 403 and a caller without a token with 401 on every inbox route', async () => {
    const notification = await deliver('gp:A81001');
    for (const response of [
      await listInbox(ed, 'gp:A81001'),
      await acknowledge(ed, 'gp:A81001', notification.notificationId),
    ]) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
      expect(response.headers['www-authenticate']).toContain('insufficient_scope');
    }
    for (const response of [
      await listInbox(undefined, 'gp:A81001'),
      await acknowledge(undefined, 'gp:A81001', notification.notificationId),
    ]) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'unauthenticated' });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="safeguarding-hub"');
    }
    expect((await store.get('gp:A81001', notification.notificationId))?.status).toBe('delivered');
    // Both refusals reached the audit trail, naming the client and each route (its template, not the URL).
    const refused = await h.auditedWhere(
      (event) => event.action === 'access-denied' && event.actor?.clientId === ed.clientId,
      2,
    );
    expect(refused.map((event) => [event.service, event.reason, event.route]).sort()).toEqual([
      ['auth', 'role-not-allowed', '/v1/inboxes/{recipient}/notifications'],
      ['auth', 'role-not-allowed', '/v1/inboxes/{recipient}/notifications/{id}/acknowledgement'],
    ]);
  });

  it('a MARAC reads only its own marac inbox', async () => {
    const own = await deliver('marac:E06000066');
    await deliver('marac:E09000001');
    const response = await listInbox(marac, 'marac:E06000066');
    expect(response.statusCode).toBe(200);
    expect(response.json<Page>().items.map((item) => [item.id, item.status])).toEqual([
      [own.notificationId, 'fetched'],
    ]);
    expect((await listInbox(marac, 'marac:E09000001')).statusCode).toBe(404);
    expect((await listInbox(marac, 'gp:A81001')).statusCode).toBe(404);
    expect((await listInbox(marac, 'exceptions:E06000066')).statusCode).toBe(404);
  });

  it('a local authority reads its exceptions and la inboxes, not its MARAC inbox', async () => {
    const exception = await deliver('exceptions:E06000066');
    const notice = await deliver('la:E06000066');
    const exceptions = await listInbox(localAuthority, 'exceptions:E06000066');
    const la = await listInbox(localAuthority, 'la:E06000066');
    expect(exceptions.json<Page>().items.map((item) => item.id)).toEqual([exception.notificationId]);
    expect(la.json<Page>().items.map((item) => item.id)).toEqual([notice.notificationId]);
    expect((await listInbox(localAuthority, 'marac:E06000066')).statusCode).toBe(404);
    expect((await listInbox(localAuthority, 'exceptions:E09000001')).statusCode).toBe(404);

    const fetched = await h.auditedWhere(
      (event) => event.action === 'notification-fetched' && event.actor?.clientId === localAuthority.clientId,
      2,
    );
    expect(fetched.map((event) => event.recipient).sort()).toEqual(['exceptions:E06000066', 'la:E06000066']);
  });

  it('validates limit, cursor, unknown parameters and the recipient, naming the field', async () => {
    const cases: [string, string, string][] = [
      ['gp:A81001', 'limit=0', '/query/limit'],
      ['gp:A81001', 'limit=101', '/query/limit'],
      ['gp:A81001', 'limit=abc', '/query/limit'],
      ['gp:A81001', 'limit=1.5', '/query/limit'],
      ['gp:A81001', 'limit=-1', '/query/limit'],
      ['gp:A81001', 'limit=1&limit=2', '/query/limit'],
      ['gp:A81001', 'cursor=garbage!', '/query/cursor'],
      ['gp:A81001', `cursor=${Buffer.from('{"s":-1}').toString('base64url')}`, '/query/cursor'],
      ['gp:A81001', `cursor=${Buffer.from('{"s": 1}').toString('base64url')}`, '/query/cursor'],
      ['gp:A81001', `cursor=${'A'.repeat(65)}`, '/query/cursor'],
      ['gp:A81001', 'offset=3', '/query'], // an unknown parameter's name is never echoed
      ['gp:a81001', '', '/params/recipient'],
      ['police:ASP', '', '/params/recipient'],
    ];
    for (const [recipient, query, pointer] of cases) {
      const response = await listInbox(gp, recipient, query);
      expect(response.statusCode, query).toBe(400);
      const body = response.json<{ code: string; errors: { pointer: string; detail: string }[] }>();
      expect(body.code).toBe('validation-failed');
      expect(body.errors.map((error) => error.pointer)).toEqual([pointer]);
    }
    const bad = await acknowledge(gp, 'gp:A81001', 'ntf_not-an-id');
    expect(bad.json()).toMatchObject({ errors: [{ pointer: '/params/id' }] });
  });

  it('pages 20 by default and at most 100', async () => {
    const recipient = 'exceptions:E07000188';
    const delivered = await deliverMany(recipient, 105);
    const get = (query: string) =>
      h.inject(sedgemoor, { method: 'GET', url: `/v1/inboxes/${recipient}/notifications${query}` });
    const first = (await get('')).json<Page>();
    expect(first.items).toHaveLength(20);
    const rest = (await get(`?limit=100&cursor=${first.nextCursor}`)).json<Page>();
    expect(first.items.map((item) => item.sequence)).toEqual(delivered.slice(0, 20).map((item) => item.position));
    expect(rest.items.map((item) => item.sequence)).toEqual(delivered.slice(20).map((item) => item.position));
    const fetched = await h.auditedWhere(
      (event) => event.action === 'notification-fetched' && event.recipient === recipient,
      105,
    );
    expect(fetched).toHaveLength(105);
  });

  it('two concurrent polls of one inbox audit each item once', async () => {
    const recipient = 'la:E06000066';
    const fresh = await deliverMany(recipient, 3);
    const [a, b] = await Promise.all([
      listInbox(localAuthority, recipient, 'limit=100'),
      listInbox(localAuthority, recipient, 'limit=100'),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const ids = fresh.map((notification) => notification.notificationId);
    const fetched = await h.auditedWhere(
      (event) => event.action === 'notification-fetched' && ids.includes(event.notificationId ?? ''),
      3,
    );
    expect(fetched.map((event) => event.notificationId).sort()).toEqual([...ids].sort());
  });

  it('when Kafka fails, fetching and acknowledging answer 503 and no status moves', async () => {
    const recipient = 'gp:A81001';
    const before = (await listInbox(gp, recipient, 'limit=100')).json<Page>().nextCursor;
    const fresh = await deliver(recipient);

    const list = await listInbox(gp, recipient, `cursor=${before}`, withoutKafka);
    expect(list.statusCode).toBe(503);
    expect(list.json()).toMatchObject({ code: 'not-ready' });
    const ack = await acknowledge(gp, recipient, fresh.notificationId, withoutKafka);
    expect(ack.statusCode).toBe(503);
    expect((await store.get(recipient, fresh.notificationId))?.status).toBe('delivered');

    // With Kafka back, the same request fetches it, audited once.
    const retried = (await listInbox(gp, recipient, `cursor=${before}`)).json<Page>();
    expect(retried.items.map((item) => [item.id, item.status])).toEqual([[fresh.notificationId, 'fetched']]);
    const events = await h.auditedWhere((event) => event.notificationId === fresh.notificationId, 2);
    expect(events.map((event) => event.action)).toEqual(['notification-stored', 'notification-fetched']);
  });

  it('the JWS an inbox item carries verifies against the published JWKS', async () => {
    const jwks = publicJwks.parse((await h.inject(null, { method: 'GET', url: '/.well-known/jwks.json' })).json());
    const notification = await deliver('marac:E06000066');
    const page = (await listInbox(marac, 'marac:E06000066', 'limit=100')).json<Page>();
    const item = page.items.find((candidate) => candidate.id === notification.notificationId)!;
    const verified = await verify(item.jws, jwks);
    expect(verified.header).toMatchObject({ typ: NOTIFICATION_TYP, kid: h.deps.keyStore.activeKid });
    expect(verified.payload).toMatchObject({ notificationId: notification.notificationId });
  });
});
