import { setTimeout as sleep } from 'node:timers/promises';
import { auditEvent } from '@hub/audit';
import { createTestClient, type TestClient } from '@hub/auth/testing';
import { auditEventsTopic, contentId, type AuditEvent } from '@hub/contracts';
import { startRouteHarness, type RouteHarness, type TestApp } from '@hub/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAuditCursor } from './cursor.ts';
import { auditRoutes } from './routes.ts';
import { chainHash, createAuditStore, type AuditStore, type StoredAuditEvent } from './store.ts';

let h: RouteHarness;
/** The store the routes read, on the harness's Redis and seed directory (L85901 Somerset, L81901 Bristol). */
let store: AuditStore | undefined;
/** Routes whose Kafka client is closed: the audit of a search cannot be written. */
let appWithoutKafka: TestApp;

/** A hub-wide IG officer: reads the whole trail. */
const officer = createTestClient({ clientId: 'ig-officer-1', role: 'ig-officer-national', organisation: 'X26' });
/** Area IG officers: each reads what concerns their own authority's area. */
const somersetOfficer = createTestClient({ clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' });
const bristolOfficer = createTestClient({ clientId: 'bristol-ig', role: 'ig-officer', organisation: 'E06000023' });
const gp = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' });

const R1 = contentId('rcpt', 'one');
const R2 = contentId('rcpt', 'two');
const R3 = contentId('rcpt', 'three');
const N1 = '9990000018';
const N2 = '9990000026';
const t = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute));

/** The seeded trail, stored as the projector would store it (partitions 0 and 1). */
const seeded: AuditEvent[] = [
  auditEvent('police-gateway', 'incident-received', t(0), { receiptId: R1 }),
  auditEvent('identity', 'subject-matched', t(1), { receiptId: R1, subjectRef: 'S1', nhsNumber: N1 }),
  auditEvent('dispatcher', 'notification-routed', t(2), {
    receiptId: R1,
    nhsNumber: N1,
    recipient: 'gp:A81001',
    notificationId: contentId('ntf', 'a'),
  }),
  auditEvent('dispatcher', 'notification-routed', t(2), {
    receiptId: R1,
    recipient: 'marac:E06000066',
    notificationId: contentId('ntf', 'b'),
  }),
  auditEvent('police-gateway', 'incident-received', t(3), { receiptId: R2 }),
  auditEvent('identity', 'subject-matched', t(4), { receiptId: R2, subjectRef: 'S1', nhsNumber: N2 }),
  auditEvent('dispatcher', 'notification-routed', t(5), {
    receiptId: R2,
    nhsNumber: N2,
    recipient: 'gp:A81001',
    notificationId: contentId('ntf', 'c'),
  }),
  auditEvent('inbox', 'notification-fetched', t(6), {
    receiptId: R2,
    recipient: 'gp:A81001',
    notificationId: contentId('ntf', 'c'),
  }),
  auditEvent('police-gateway', 'incident-received', t(6), { receiptId: R3 }),
  auditEvent('identity', 'subject-matched', t(7), { receiptId: R3, subjectRef: 'S2', nhsNumber: N1 }),
];
/** The order every search answers in: time, then event id. */
const ordered = [...seeded].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.eventId < b.eventId ? -1 : 1));
const idsWhere = (filter: (event: AuditEvent) => boolean) => ordered.filter(filter).map((event) => event.eventId);

const storeOf = (): AuditStore => {
  if (store === undefined) throw new Error('the harness has not built the routes');
  return store;
};

/** Rewrites one stored value under the harness's key prefix, as an insider with Redis access could. */
async function tamper(
  edit: (raw: RouteHarness['runtime']['redis'], key: (eventId: string) => string) => Promise<unknown>,
) {
  const redis = h.deps.viewRedis('audit');
  const raw = redis.duplicate({ keyPrefix: '' });
  try {
    await edit(raw, (eventId) => `${redis.options.keyPrefix ?? ''}audit:event:${eventId}`);
  } finally {
    await raw.quit();
  }
}

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'audit',
    clients: [officer, somersetOfficer, bristolOfficer, gp],
    routes: (deps) => {
      // One store for both runtimes (same Redis): the second, Kafka-less one reads the same trail.
      store ??= createAuditStore(deps.viewRedis('audit'), deps.directory);
      return auditRoutes({ store, kafka: deps.kafka, now: deps.now });
    },
  });
  appWithoutKafka = await h.withoutKafka();
  for (const [index, event] of seeded.entries())
    expect(await storeOf().append(event, index < 5 ? 0 : 1)).toBe('stored');
});

afterAll(async () => {
  // NHS numbers searched for and tokens never reach a log line (the URL is never logged).
  const text = h.logs.text();
  for (const value of [N1, N2, ...(await h.tokens())]) expect(text).not.toContain(value);
  await h.close();
});

interface SearchPage {
  items: StoredAuditEvent[];
  nextCursor: string | null;
  integrity: { unreadable: number; positions: { partition: number; position: number }[] };
}

function search(query: string, client: TestClient | null = officer, server: TestApp = h) {
  return server.inject(client, { method: 'GET', url: `/v1/audit/events${query === '' ? '' : `?${query}`}` });
}

async function searchIds(query: string, client: TestClient = officer): Promise<string[]> {
  const response = await search(query, client);
  expect(response.statusCode, query).toBe(200);
  return response.json<SearchPage>().items.map((event) => event.eventId);
}

/** Every page of a search, following nextCursor. */
async function allPages(query: string): Promise<SearchPage[]> {
  const pages: SearchPage[] = [];
  let cursor: string | null = null;
  do {
    const response = await search(`${query}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(response.statusCode).toBe(200);
    const page = response.json<SearchPage>();
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 20);
  return pages;
}

function verification(partition: string, client: TestClient | null = officer) {
  return h.inject(client, { method: 'GET', url: `/v1/audit/chains/${partition}/verification` });
}

function verificationOfAll(client: TestClient | null = officer) {
  return h.inject(client, { method: 'GET', url: '/v1/audit/chains/verification' });
}

interface ChainResult {
  partition: number;
  ok: boolean;
  length?: number;
  brokenAt?: number;
}

describe('audit routes', () => {
  it('finds exactly the matching events by each filter, oldest first, with their chain links', async () => {
    expect(await searchIds(`receiptId=${R1}`)).toEqual(idsWhere((event) => event.receiptId === R1));
    expect(await searchIds(`receiptId=${R2}`)).toEqual(idsWhere((event) => event.receiptId === R2));
    expect(await searchIds(`nhsNumber=${N1}`)).toEqual(idsWhere((event) => event.nhsNumber === N1));
    expect(await searchIds(`nhsNumber=${N2}`)).toEqual(idsWhere((event) => event.nhsNumber === N2));
    expect(await searchIds('recipient=gp:A81001')).toEqual(idsWhere((event) => event.recipient === 'gp:A81001'));
    expect(await searchIds('recipient=marac:E06000066')).toEqual(
      idsWhere((event) => event.recipient === 'marac:E06000066'),
    );
    expect(await searchIds('recipient=gp:B82002')).toEqual([]);
    const inRange = (event: AuditEvent) =>
      Date.parse(event.at) >= t(2).getTime() && Date.parse(event.at) <= t(5).getTime();
    expect(await searchIds(`from=${t(2).toISOString()}&to=${t(5).toISOString()}`)).toEqual(idsWhere(inRange));
    expect(await searchIds(`from=${t(6).toISOString()}`)).toEqual(idsWhere((event) => event.at >= t(6).toISOString()));
    expect(await searchIds(`to=${t(0).toISOString()}`)).toEqual(idsWhere((event) => event.at === t(0).toISOString()));
    // Filters combine with AND.
    expect(await searchIds(`receiptId=${R1}&nhsNumber=${N1}&recipient=gp:A81001`)).toEqual(
      idsWhere((event) => event.receiptId === R1 && event.nhsNumber === N1 && event.recipient === 'gp:A81001'),
    );
    expect(await searchIds(`nhsNumber=${N1}&from=${t(3).toISOString()}`)).toEqual(
      idsWhere((event) => event.nhsNumber === N1 && event.at >= t(3).toISOString()),
    );
    expect(await searchIds(`receiptId=${R1}&nhsNumber=${N2}`)).toEqual([]);

    const response = await search(`receiptId=${R1}&limit=1`);
    expect(response.headers['cache-control']).toBe('no-store');
    const [first] = response.json<SearchPage>().items;
    expect(first).toEqual({
      ...ordered[0],
      chain: { partition: 0, position: 0, hash: chainHash('0'.repeat(64), ordered[0]!) },
    });
  });

  it('pages with the cursor without gaps or repeats, and says when there is no next page', async () => {
    const all = ordered.map((event) => event.eventId);
    for (const limit of [1, 2, 3, 4, 10]) {
      const pages = await allPages(`limit=${limit}`);
      expect(pages.flatMap((page) => page.items.map((event) => event.eventId))).toEqual(all);
      expect(pages.length).toBe(Math.ceil(all.length / limit));
      expect(pages.at(-1)!.nextCursor).toBeNull();
      expect(pages.slice(0, -1).every((page) => page.items.length === limit && page.nextCursor !== null)).toBe(true);
    }
    const byPerson = await allPages(`nhsNumber=${N1}&limit=2`);
    expect(byPerson.flatMap((page) => page.items.map((event) => event.eventId))).toEqual(
      idsWhere((event) => event.nhsNumber === N1),
    );
    // Two events share t(2) and two share t(6): the cursor's event id separates them.
    const ties = await allPages(`from=${t(2).toISOString()}&to=${t(2).toISOString()}&limit=1`);
    expect(ties.map((page) => page.items.map((event) => event.eventId))).toEqual(
      idsWhere((event) => event.at === t(2).toISOString()).map((id) => [id]),
    );
    // A cursor reused with a later `from` never goes back before `from`.
    const cursor = encodeAuditCursor({ time: t(0).getTime(), eventId: ordered[0]!.eventId });
    expect(await searchIds(`from=${t(6).toISOString()}&cursor=${cursor}`)).toEqual(
      idsWhere((event) => event.at >= t(6).toISOString()),
    );
    // The default page is 50: all ten fit.
    expect(await searchIds('')).toEqual(all);
  });

  it('audits every search (actor and what was searched for) before answering, including repeats', async () => {
    // Events of earlier tests' searches may still be arriving: count only what was audited from now on.
    const start = Date.now();
    const since = () => h.audited.filter(({ value }) => Date.parse(value.at) >= start);
    const response = await search(`nhsNumber=${N2}&receiptId=${R2}`);
    expect(response.statusCode).toBe(200);
    await search(`nhsNumber=${N2}&receiptId=${R2}`);
    await search('recipient=marac:E06000066');
    await search(`from=${t(0).toISOString()}&limit=1`);
    expect((await search('nhsNumber=9990000019')).statusCode).toBe(400); // refused: not a search, not audited

    await expect.poll(() => since().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    await sleep(750);
    const searches = since();
    expect(searches).toHaveLength(4);
    const actor = { clientId: officer.clientId, role: 'ig-officer-national', organisation: 'X26' };
    expect(
      searches.map(({ key, value }) => [
        key,
        value.action,
        value.actor,
        value.nhsNumber,
        value.receiptId,
        value.recipient,
        value.reason,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [R2, 'audit-searched', actor, N2, R2, null, 'scope:hub'],
        [R2, 'audit-searched', actor, N2, R2, null, 'scope:hub'],
        ['X26', 'audit-searched', actor, null, null, 'marac:E06000066', 'scope:hub'],
        ['X26', 'audit-searched', actor, null, null, null, 'scope:hub'],
      ]),
    );
    expect(searches.every(({ value }) => value.service === 'audit')).toBe(true);
    // Two identical searches are two events.
    expect(new Set(searches.map(({ value }) => value.eventId)).size).toBe(4);
  });

  it('answers 503 and searches nothing when the search cannot be audited', async () => {
    const response = await search(`receiptId=${R1}`, officer, appWithoutKafka);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'not-ready' });
    expect(response.body).not.toContain(R1.slice(5));
  });

  it('validates every filter, naming the field', async () => {
    const cases: [string, string][] = [
      ['nhsNumber=9990000019', '/query/nhsNumber'], // wrong check digit
      ['nhsNumber=999 000 0018', '/query/nhsNumber'],
      ['recipient=gp:a81001', '/query/recipient'],
      ['recipient=police:ASP', '/query/recipient'],
      ['receiptId=rcpt_x', '/query/receiptId'],
      [`receiptId=${contentId('aud', 'not-a-record')}`, '/query/receiptId'],
      ['from=2026-11-22', '/query/from'],
      ['to=yesterday', '/query/to'],
      [`from=${t(5).toISOString()}&to=${t(4).toISOString()}`, '/query/to'],
      ['limit=0', '/query/limit'],
      ['limit=201', '/query/limit'],
      ['limit=ten', '/query/limit'],
      ['cursor=not-a-cursor', '/query/cursor'],
      [`cursor=${Buffer.from('{"t":1,"id":"aud_1"}').toString('base64url')}`, '/query/cursor'],
      ['actor=gp-a81001', '/query'], // an unknown parameter's name is never echoed
    ];
    for (const [query, pointer] of cases) {
      const response = await search(query);
      expect(response.statusCode, query).toBe(400);
      const body = response.json<{ code: string; errors: { pointer: string; detail: string }[] }>();
      expect(body.code).toBe('validation-failed');
      // A value can break more than one rule of one field (10 digits, and the check digit): one pointer still.
      expect([...new Set(body.errors.map((error) => error.pointer))], query).toEqual([pointer]);
      expect(response.body).not.toContain('9990000019');
    }
    expect((await search('limit=200')).statusCode).toBe(200);
    expect((await search(`from=${t(4).toISOString()}&to=${t(4).toISOString()}`)).statusCode).toBe(200);
  });

  it('is for IG officers only: a GP gets 403, no token 401', async () => {
    for (const response of [await search(`receiptId=${R1}`, gp), await verification('0', gp)]) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    const anonymous = await search(`receiptId=${R1}`, null);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'unauthenticated' });
    const anonymousChain = await verification('0', null);
    expect(anonymousChain.statusCode).toBe(401);
  });

  it('verifies every partition in one call: each in order with its length, ok when all are intact', async () => {
    const all = await verificationOfAll();
    expect(all.statusCode).toBe(200);
    expect(all.headers['cache-control']).toBe('no-store');
    // The seeded trail: five events on partitions 0 and 1, none yet on the others; every partition is answered.
    expect(auditEventsTopic.partitions).toBe(6);
    expect(all.json()).toEqual({
      ok: true,
      partitions: [5, 5, 0, 0, 0, 0].map((length, partition) => ({ partition, ok: true, length })),
    });
    // Any IG officer may run it (positions and counts, never content); nobody else.
    expect((await verificationOfAll(somersetOfficer)).json()).toEqual(all.json());
    const refused = await verificationOfAll(gp);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'forbidden' });
    expect((await verificationOfAll(null)).statusCode).toBe(401);
  });

  it("verifies a partition's chain: ok with its length, the broken position after tampering", async () => {
    const zero = await verification('0');
    expect(zero.statusCode).toBe(200);
    expect(zero.json()).toEqual({ partition: 0, ok: true, length: 5 });
    expect((await verification('1')).json()).toEqual({ partition: 1, ok: true, length: 5 });
    expect((await verification('5')).json()).toEqual({ partition: 5, ok: true, length: 0 });

    // Tamper with a copy of the trail on partition 2, so the other tests keep an intact trail.
    const events = Array.from({ length: 3 }, (_, i) =>
      auditEvent('inbox', 'notification-acknowledged', t(20 + i), {
        receiptId: contentId('rcpt', 'tamper', String(i)),
      }),
    );
    for (const event of events) await storeOf().append(event, 2);
    expect((await verification('2')).json()).toEqual({ partition: 2, ok: true, length: 3 });
    await tamper(async (raw, key) => {
      const stored = JSON.parse((await raw.get(key(events[1]!.eventId)))!) as Record<string, unknown>;
      await raw.set(key(events[1]!.eventId), JSON.stringify({ ...stored, reason: 'edited' }));
    });
    expect((await verification('2')).json()).toEqual({ partition: 2, ok: false, brokenAt: 1 });

    // One tampered partition makes the whole answer not ok, and names it; the others still answer intact.
    const all = await verificationOfAll();
    expect(all.statusCode).toBe(200);
    const body = all.json<{ ok: boolean; partitions: ChainResult[] }>();
    expect(body.ok).toBe(false);
    expect(body.partitions.filter((result) => !result.ok)).toEqual([{ partition: 2, ok: false, brokenAt: 1 }]);
    expect(body.partitions).toEqual([
      { partition: 0, ok: true, length: 5 },
      { partition: 1, ok: true, length: 5 },
      { partition: 2, ok: false, brokenAt: 1 },
      { partition: 3, ok: true, length: 0 },
      { partition: 4, ok: true, length: 0 },
      { partition: 5, ok: true, length: 0 },
    ]);

    for (const partition of ['6', '-1', 'x', '1000']) {
      const response = await verification(partition);
      expect(response.statusCode, partition).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ pointer: '/params/partition' }] });
    }
  });
});

/** Published audit events from `start` on, once at least `count` have arrived (and a moment for strays). */
async function publishedSince(start: number, count: number): Promise<AuditEvent[]> {
  const since = () => h.audited.filter(({ value }) => Date.parse(value.at) >= start).map(({ value }) => value);
  await expect.poll(() => since().length, { timeout: 15_000 }).toBeGreaterThanOrEqual(count);
  await sleep(500);
  return since();
}

// These run after the tests above and add to the trail on partitions 3 to 5, at later times (t(60) on).
describe('audit search by any record id', () => {
  it('finds the events of a plan version, plan refusal, look-up and FGM version by their id', async () => {
    const la = { clientId: 'somerset-safeguarding', role: 'local-authority', organisation: 'E06000066' } as const;
    const practice = { clientId: 'gp-l85901', role: 'gp', organisation: 'L85901' } as const;
    const plan = contentId('cpv', 'plan');
    const refusal = contentId('cpr', 'refusal');
    const lookup = contentId('lkp', 'lookup');
    const fgm = contentId('fgv', 'fgm');
    // As child-protection emits them: the record's id is each event's receiptId.
    const events = [
      auditEvent('child-protection', 'plan-recorded', t(60), {
        actor: la,
        receiptId: plan,
        incidentRef: 'E06000066:PLAN-1',
        nhsNumber: N1,
        reason: 'started',
      }),
      auditEvent('child-protection', 'notification-routed', t(61), {
        receiptId: plan,
        incidentRef: 'E06000066:PLAN-1',
        nhsNumber: N1,
        recipient: 'gp:L85901',
        notificationId: contentId('ntf', 'plan'),
      }),
      auditEvent('child-protection', 'plan-refused', t(62), {
        actor: la,
        receiptId: refusal,
        incidentRef: 'E06000066:PLAN-2',
        nhsNumber: N2,
        reason: 'nhs-number-unknown',
      }),
      auditEvent('child-protection', 'flags-looked-up', t(63), { actor: practice, receiptId: lookup, nhsNumber: N1 }),
      auditEvent('child-protection', 'fgm-indicator-recorded', t(64), {
        actor: practice,
        receiptId: fgm,
        incidentRef: 'L85901:FGM-1',
        nhsNumber: N1,
        reason: 'added',
      }),
    ];
    for (const event of events) expect(await storeOf().append(event, 3)).toBe('stored');

    for (const id of [plan, refusal, lookup, fgm]) {
      expect(await searchIds(`receiptId=${id}`), id).toEqual(
        events.filter((event) => event.receiptId === id).map((event) => event.eventId),
      );
    }
    expect(await searchIds(`receiptId=${plan}`)).toHaveLength(2);
  });
});

describe('audit search integrity', () => {
  it('answers what it can read and reports each unreadable event once, by position, never its content', async () => {
    const receipt = contentId('rcpt', 'unreadable');
    const events = Array.from({ length: 4 }, (_, i) =>
      auditEvent('inbox', 'notification-fetched', t(70 + i), {
        receiptId: receipt,
        recipient: 'gp:A81001',
        notificationId: contentId('ntf', 'unreadable', String(i)),
      }),
    );
    for (const event of events) await storeOf().append(event, 4);
    // One stored value no longer parses (cut short); another event is gone from under its index entries.
    const corrupt = `{"eventId":"${events[1]!.eventId}","nhsNumber":"${N2}","receip`;
    await tamper(async (raw, key) => {
      await raw.set(key(events[1]!.eventId), corrupt);
      await raw.del(key(events[2]!.eventId));
    });

    const response = await search(`receiptId=${receipt}`);
    expect(response.statusCode).toBe(200);
    const page = response.json<SearchPage>();
    expect(page.items.map((event) => event.eventId)).toEqual([events[0]!.eventId, events[3]!.eventId]);
    expect(page.integrity).toEqual({
      unreadable: 2,
      positions: [
        { partition: 4, position: 1 },
        { partition: 4, position: 2 },
      ],
    });
    expect(response.body).not.toContain(N2);

    // Paged one event at a time, each unreadable event is reported on the page where it falls, once.
    const pages = await allPages(`receiptId=${receipt}&limit=1`);
    expect(pages.map((p) => [p.items.length, p.integrity.unreadable])).toEqual([
      [1, 0],
      [1, 2],
    ]);

    // The problem is logged by position only.
    const warning = h.logs.lines().find((line) => line['msg'] === 'audit search met unreadable events');
    expect(warning).toMatchObject({ integrity: { unreadable: 2, positions: [{ partition: 4, position: 1 }, {}] } });
    expect(h.logs.text()).not.toContain(corrupt);

    // A readable trail reports nothing.
    expect((await search(`receiptId=${R1}`)).json<SearchPage>().integrity).toEqual({ unreadable: 0, positions: [] });
  });
});

describe('audit search scope', () => {
  const police = { clientId: 'asp-police', role: 'police', organisation: 'ASP' } as const;
  const N3 = '9990000034';
  // A Bristol DA receipt (routed to a Bristol practice) and a Somerset plan, both about the same person.
  const bristolReceipt = contentId('rcpt', 'bristol');
  const somersetPlan = contentId('cpv', 'somerset');
  const bristol = [
    auditEvent('police-gateway', 'incident-received', t(80), {
      actor: police,
      receiptId: bristolReceipt,
      incidentRef: 'ASP:INC-9',
    }),
    auditEvent('identity', 'subject-matched', t(81), {
      receiptId: bristolReceipt,
      incidentRef: 'ASP:INC-9',
      subjectRef: 'S1',
      nhsNumber: N3,
    }),
    auditEvent('dispatcher', 'notification-routed', t(82), {
      receiptId: bristolReceipt,
      incidentRef: 'ASP:INC-9',
      nhsNumber: N3,
      recipient: 'gp:L81901',
      notificationId: contentId('ntf', 'bristol'),
    }),
  ];
  const somerset = [
    auditEvent('child-protection', 'plan-recorded', t(83), {
      actor: { clientId: 'somerset-safeguarding', role: 'local-authority', organisation: 'E06000066' },
      receiptId: somersetPlan,
      incidentRef: 'E06000066:PLAN-9',
      nhsNumber: N3,
      reason: 'started',
    }),
    auditEvent('child-protection', 'notification-routed', t(84), {
      receiptId: somersetPlan,
      incidentRef: 'E06000066:PLAN-9',
      nhsNumber: N3,
      recipient: 'gp:L85901',
      notificationId: contentId('ntf', 'somerset'),
    }),
  ];
  const idsOf = (events: AuditEvent[]) => events.map((event) => event.eventId);

  beforeAll(async () => {
    for (const event of [...bristol, ...somerset]) await storeOf().append(event, 5);
  });

  it('shows an area IG officer only the events concerning their area; a national officer sees both', async () => {
    const aboutN3 = (events: AuditEvent[]) => idsOf(events.filter((event) => event.nhsNumber === N3));
    expect(await searchIds(`nhsNumber=${N3}`, somersetOfficer)).toEqual(aboutN3(somerset));
    expect(await searchIds(`nhsNumber=${N3}`, bristolOfficer)).toEqual(aboutN3(bristol));
    expect(await searchIds(`nhsNumber=${N3}`, officer)).toEqual(aboutN3([...bristol, ...somerset]));
    // Not by the record's id either, nor by browsing the trail, nor by the other area's inbox.
    expect(await searchIds(`receiptId=${bristolReceipt}`, somersetOfficer)).toEqual([]);
    expect(await searchIds('recipient=gp:L81901', somersetOfficer)).toEqual([]);
    const browsed = await searchIds(`from=${t(80).toISOString()}&to=${t(84).toISOString()}`, somersetOfficer);
    expect(browsed).toEqual(idsOf(somerset));
    expect(await searchIds(`from=${t(80).toISOString()}&to=${t(84).toISOString()}`, bristolOfficer)).toEqual(
      idsOf(bristol),
    );
    // Chain verification reveals positions and counts, never content: any IG officer may run it.
    expect((await verification('5', somersetOfficer)).json()).toEqual({ partition: 5, ok: true, length: 5 });
  });

  it('audits each search with the officer and the scope it ran in', async () => {
    const start = Date.now();
    expect((await search(`nhsNumber=${N3}`, somersetOfficer)).statusCode).toBe(200);
    expect((await search(`nhsNumber=${N3}`, officer)).statusCode).toBe(200);
    const searches = (await publishedSince(start, 2)).filter((event) => event.action === 'audit-searched');
    expect(searches.map((event) => [event.actor, event.nhsNumber, event.reason])).toEqual(
      expect.arrayContaining([
        [{ clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' }, N3, 'scope:E06000066'],
        [{ clientId: 'ig-officer-1', role: 'ig-officer-national', organisation: 'X26' }, N3, 'scope:hub'],
      ]),
    );
    expect(searches).toHaveLength(2);
  });
});
