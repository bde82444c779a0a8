import { setTimeout as sleep } from 'node:timers/promises';
import { auditEvent } from '@hub/audit';
import { createTestClient, type TestClient } from '@hub/auth/testing';
import { auditEventsTopic, canonicalJson, contentId, type AuditEvent, type StoredAuditEvent } from '@hub/contracts';
import { startRouteHarness, type RouteHarness, type TestApp } from '@hub/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAuditCursor } from './cursor.ts';
import { createAuditService } from './service.ts';

let h: RouteHarness;
/** The same service on a second runtime whose Kafka client is closed: the audit of a search cannot be written. */
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
const police = { clientId: 'asp-police', role: 'police', organisation: 'ASP' } as const;
const withhold: NonNullable<AuditEvent['decision']> = {
  rule: 'DA-GP-PERPETRATOR',
  policyVersion: 'da-2026.11.1',
  outcome: 'withhold',
  lawfulBasis: [],
  reason: 'test',
};

/** The seeded trail, published to audit.events.v1 and stored by the service's own projector. */
const seeded: AuditEvent[] = [
  auditEvent('police-gateway', 'incident-received', t(0), { actor: police, receiptId: R1, incidentRef: 'ASP:INC-1' }),
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
  auditEvent('police-gateway', 'incident-received', t(3), { actor: police, receiptId: R2, incidentRef: 'ASP:INC-2' }),
  auditEvent('identity', 'subject-matched', t(4), { receiptId: R2, subjectRef: 'S1', nhsNumber: N2 }),
  auditEvent('ig-engine', 'decision-recorded', t(4), { receiptId: R2, nhsNumber: N2, decision: withhold }),
  auditEvent('dispatcher', 'notification-routed', t(5), {
    receiptId: R2,
    nhsNumber: N2,
    recipient: 'gp:A81001',
    notificationId: contentId('ntf', 'c'),
  }),
  auditEvent('inbox', 'notification-fetched', t(6), {
    actor: { clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' },
    receiptId: R2,
    recipient: 'gp:A81001',
    notificationId: contentId('ntf', 'c'),
  }),
  auditEvent('police-gateway', 'incident-received', t(6), { actor: police, receiptId: R3, incidentRef: 'ASP:INC-3' }),
  auditEvent('identity', 'subject-matched', t(7), { receiptId: R3, subjectRef: 'S2', nhsNumber: N1 }),
];
const SEEDED_RANGE = `from=${t(0).toISOString()}&to=${t(7).toISOString()}`;

/** Where each event was recorded (read back from the store): the order of a search is time, partition, offset. */
const positions = new Map<string, { partition: number; offset: number }>();
let ordered: AuditEvent[] = [];
const idsWhere = (filter: (event: AuditEvent) => boolean) => ordered.filter(filter).map((event) => event.eventId);

/** Publishes events to audit.events.v1 and waits until the projector has stored every one. */
async function record(events: readonly AuditEvent[]): Promise<void> {
  await h.deps.kafka.publish(
    auditEventsTopic,
    events.map((event) => ({ key: event.receiptId ?? 'none', value: event })),
  );
  const ids = events.map((event) => event.eventId);
  const count = async () =>
    Number(
      (
        await h.deps
          .viewPostgres('audit')
          .query<{ n: string }>('SELECT count(DISTINCT event_id) AS n FROM audit_events WHERE event_id = ANY($1)', [
            ids,
          ])
      ).rows[0]?.n,
    );
  // Polled by hand: this also runs in beforeAll, where expect.poll is not allowed.
  const deadline = Date.now() + 30_000;
  while ((await count()) < new Set(ids).size) {
    if (Date.now() > deadline) throw new Error('the projector did not store the events in time');
    await sleep(100);
  }
  const { rows } = await h.deps
    .viewPostgres('audit')
    .query<{ event_id: string; kafka_partition: number; kafka_offset: string }>(
      'SELECT event_id, kafka_partition, kafka_offset FROM audit_events WHERE event_id = ANY($1)',
      [ids],
    );
  for (const row of rows)
    positions.set(row.event_id, { partition: row.kafka_partition, offset: Number(row.kafka_offset) });
}

function sortStored(events: readonly AuditEvent[]): AuditEvent[] {
  const key = (event: AuditEvent) => {
    const at = positions.get(event.eventId)!;
    return [Date.parse(event.at), at.partition, at.offset] as const;
  };
  return [...events].sort((a, b) => {
    const [ta, pa, oa] = key(a);
    const [tb, pb, ob] = key(b);
    return ta - tb || pa - pb || oa - ob;
  });
}

beforeAll(async () => {
  h = await startRouteHarness({
    service: 'audit',
    clients: [officer, somersetOfficer, bristolOfficer, gp],
    services: [createAuditService],
  });
  appWithoutKafka = await h.withoutKafka();
  // A fresh deployment builds its first generation of the view (its schema) before it serves it.
  const deadline = Date.now() + 30_000;
  while (!h.runtime.views.ready('audit')) {
    if (Date.now() > deadline) throw new Error('the audit view was not built in time');
    await sleep(100);
  }
  await record(seeded);
  ordered = sortStored(seeded);
}, 60_000);

afterAll(async () => {
  // NHS numbers searched for and tokens never reach a log line (the URL is never logged).
  const text = h.logs.text();
  for (const value of [N1, N2, ...(await h.tokens())]) expect(text).not.toContain(value);
  await h.close();
});

interface SearchPage {
  items: StoredAuditEvent[];
  nextCursor: string | null;
  integrity: { unreadable: number; positions: { partition: number; offset: number }[] };
}

function search(query: string, client: TestClient | null = officer, server: TestApp = h) {
  return server.inject(client, { method: 'GET', url: `/v1/audit/events${query === '' ? '' : `?${query}`}` });
}

/**
 * The seeded past only: every search is stored in the trail too (at the real time, long after t(99)), and would
 * otherwise join the results of a search by what it searched for.
 */
const PAST = `to=${t(99).toISOString()}`;
const inPast = (query: string) => (query.includes('to=') ? query : query === '' ? PAST : `${query}&${PAST}`);

async function searchIds(query: string, client: TestClient = officer, past = true): Promise<string[]> {
  const response = await search(past ? inPast(query) : query, client);
  expect(response.statusCode, query).toBe(200);
  return response.json<SearchPage>().items.map((event) => event.eventId);
}

/** Every page of a search, following nextCursor. */
async function allPages(query: string): Promise<SearchPage[]> {
  const pages: SearchPage[] = [];
  let cursor: string | null = null;
  do {
    const response = await search(`${inPast(query)}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(response.statusCode).toBe(200);
    const page = response.json<SearchPage>();
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 20);
  return pages;
}

describe('audit routes', () => {
  it('finds exactly the matching events by each filter, oldest first, with where each was recorded', async () => {
    expect(await searchIds(`receiptId=${R1}`)).toEqual(idsWhere((event) => event.receiptId === R1));
    expect(await searchIds(`receiptId=${R2}`)).toEqual(idsWhere((event) => event.receiptId === R2));
    expect(await searchIds('incidentRef=ASP:INC-2')).toEqual(idsWhere((event) => event.incidentRef === 'ASP:INC-2'));
    expect(await searchIds(`nhsNumber=${N1}`)).toEqual(idsWhere((event) => event.nhsNumber === N1));
    expect(await searchIds(`nhsNumber=${N2}`)).toEqual(idsWhere((event) => event.nhsNumber === N2));
    expect(await searchIds('recipient=gp:A81001')).toEqual(idsWhere((event) => event.recipient === 'gp:A81001'));
    expect(await searchIds('recipient=marac:E06000066')).toEqual(
      idsWhere((event) => event.recipient === 'marac:E06000066'),
    );
    expect(await searchIds('recipient=gp:B82002')).toEqual([]);
    expect(await searchIds(`actorClientId=gp-a81001&${SEEDED_RANGE}`)).toEqual(
      idsWhere((event) => event.actor?.clientId === 'gp-a81001'),
    );
    expect(await searchIds(`actorOrganisation=ASP&${SEEDED_RANGE}`)).toEqual(
      idsWhere((event) => event.actor?.organisation === 'ASP'),
    );
    expect(await searchIds(`action=subject-matched&${SEEDED_RANGE}`)).toEqual(
      idsWhere((event) => event.action === 'subject-matched'),
    );
    expect(await searchIds('rule=DA-GP-PERPETRATOR&outcome=withhold')).toEqual(
      idsWhere((event) => event.decision?.rule === 'DA-GP-PERPETRATOR'),
    );
    const inRange = (event: AuditEvent) =>
      Date.parse(event.at) >= t(2).getTime() && Date.parse(event.at) <= t(5).getTime();
    expect(await searchIds(`from=${t(2).toISOString()}&to=${t(5).toISOString()}`)).toEqual(idsWhere(inRange));
    expect(await searchIds(`from=${t(6).toISOString()}&to=${t(7).toISOString()}`)).toEqual(
      idsWhere((event) => event.at >= t(6).toISOString()),
    );
    expect(await searchIds(`to=${t(0).toISOString()}&from=${t(0).toISOString()}`)).toEqual(
      idsWhere((event) => event.at === t(0).toISOString()),
    );
    // Filters combine with AND.
    expect(await searchIds(`receiptId=${R1}&nhsNumber=${N1}&recipient=gp:A81001`)).toEqual(
      idsWhere((event) => event.receiptId === R1 && event.nhsNumber === N1 && event.recipient === 'gp:A81001'),
    );
    expect(await searchIds(`nhsNumber=${N1}&from=${t(3).toISOString()}`)).toEqual(
      idsWhere((event) => event.nhsNumber === N1 && event.at >= t(3).toISOString()),
    );
    expect(await searchIds(`receiptId=${R1}&nhsNumber=${N2}`)).toEqual([]);
    // Newest first: the same events, the other way round.
    expect(await searchIds(`nhsNumber=${N1}&order=newest`)).toEqual(
      idsWhere((event) => event.nhsNumber === N1).reverse(),
    );

    const response = await search(`receiptId=${R1}&limit=1`);
    expect(response.headers['cache-control']).toBe('no-store');
    const [first] = response.json<SearchPage>().items;
    // The event as published, where it was recorded, and its leaf index once the log has placed it (null before).
    const { leafIndex, ...stored } = first!;
    expect(stored).toEqual({ ...ordered[0], position: positions.get(ordered[0]!.eventId) });
    expect(leafIndex === null || (Number.isInteger(leafIndex) && leafIndex >= 0)).toBe(true);
  });

  it('pages with the cursor without gaps or repeats, either order, and says when there is no next page', async () => {
    const all = ordered.map((event) => event.eventId);
    for (const limit of [1, 2, 3, 4, 11]) {
      for (const order of ['oldest', 'newest'] as const) {
        const pages = await allPages(`${SEEDED_RANGE}&order=${order}&limit=${limit}`);
        const expected = order === 'oldest' ? all : [...all].reverse();
        expect(pages.flatMap((page) => page.items.map((event) => event.eventId))).toEqual(expected);
        expect(pages.length).toBe(Math.ceil(all.length / limit));
        expect(pages.at(-1)!.nextCursor).toBeNull();
        expect(pages.slice(0, -1).every((page) => page.items.length === limit && page.nextCursor !== null)).toBe(true);
      }
    }
    const byPerson = await allPages(`nhsNumber=${N1}&limit=2`);
    expect(byPerson.flatMap((page) => page.items.map((event) => event.eventId))).toEqual(
      idsWhere((event) => event.nhsNumber === N1),
    );
    // Two events share t(2) (and t(4), t(6)): where each was recorded separates them.
    const ties = await allPages(`from=${t(2).toISOString()}&to=${t(2).toISOString()}&limit=1`);
    expect(ties.map((page) => page.items.map((event) => event.eventId))).toEqual(
      idsWhere((event) => event.at === t(2).toISOString()).map((id) => [id]),
    );
    // A cursor reused with a later `from` never goes back before `from`.
    const first = positions.get(ordered[0]!.eventId)!;
    const cursor = encodeAuditCursor({ time: t(0).getTime(), ...first, order: 'oldest' });
    expect(await searchIds(`from=${t(6).toISOString()}&to=${t(7).toISOString()}&cursor=${cursor}`)).toEqual(
      idsWhere((event) => event.at >= t(6).toISOString()),
    );
    // The default page is 50: all of them fit.
    expect(await searchIds(SEEDED_RANGE)).toEqual(all);
  });

  it('audits every search (actor, everything searched for, the scope) before answering, including repeats', async () => {
    // Events of earlier tests' searches may still be arriving: count only what was audited from now on.
    const start = Date.now();
    const since = () => h.audited.filter(({ value }) => Date.parse(value.at) >= start);
    const response = await search(`nhsNumber=${N2}&receiptId=${R2}`);
    expect(response.statusCode).toBe(200);
    await search(`nhsNumber=${N2}&receiptId=${R2}`);
    await search('recipient=marac:E06000066&incidentRef=ASP:INC-1');
    await search(`actorClientId=gp-a81001&action=notification-fetched&rule=DA-GP-VICTIM&outcome=share&order=newest`);
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
        value.incidentRef,
        value.recipient,
        value.reason,
        value.searchFilters,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [R2, 'audit-searched', actor, N2, R2, null, null, 'scope:hub', { order: 'oldest' }],
        [R2, 'audit-searched', actor, N2, R2, null, null, 'scope:hub', { order: 'oldest' }],
        ['X26', 'audit-searched', actor, null, null, 'ASP:INC-1', 'marac:E06000066', 'scope:hub', { order: 'oldest' }],
        [
          'X26',
          'audit-searched',
          actor,
          null,
          null,
          null,
          null,
          'scope:hub',
          {
            actorClientId: 'gp-a81001',
            action: 'notification-fetched',
            rule: 'DA-GP-VICTIM',
            outcome: 'share',
            order: 'newest',
          },
        ],
      ]),
    );
    expect(searches.every(({ value }) => value.service === 'audit')).toBe(true);
    // Two identical searches are two events, and each is stored in the trail it searched.
    const searchIdsAudited = searches.map(({ value }) => value.eventId);
    expect(new Set(searchIdsAudited).size).toBe(4);
    await record(searches.map(({ value }) => value));
  });

  it('answers 503 and searches nothing when the search cannot be audited', async () => {
    const response = await search(`receiptId=${R1}`, officer, appWithoutKafka);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'not-ready' });
    expect(response.body).not.toContain(R1.slice(5));
  });

  it('validates every filter, naming the field', async () => {
    const newestCursor = encodeAuditCursor({ time: t(0).getTime(), partition: 0, offset: 0, order: 'newest' });
    const cases: [string, string][] = [
      ['nhsNumber=9990000019', '/query/nhsNumber'], // wrong check digit
      ['nhsNumber=999 000 0018', '/query/nhsNumber'],
      ['recipient=gp:a81001', '/query/recipient'],
      ['recipient=police:ASP', '/query/recipient'],
      ['receiptId=rcpt_x', '/query/receiptId'],
      [`receiptId=${contentId('aud', 'not-a-record')}`, '/query/receiptId'],
      ['incidentRef=INC-1', '/query/incidentRef'],
      ['incidentRef=ASP:INC 1', '/query/incidentRef'],
      ['actorClientId=gp a81001', '/query/actorClientId'],
      ['actorOrganisation=asp', '/query/actorOrganisation'],
      ['action=incident-deleted', '/query/action'],
      ['rule=DA GP', '/query/rule'],
      ['outcome=maybe', '/query/outcome'],
      ['order=sideways', '/query/order'],
      ['from=2026-11-22', '/query/from'],
      ['to=yesterday', '/query/to'],
      [`from=${t(5).toISOString()}&to=${t(4).toISOString()}`, '/query/to'],
      ['limit=0', '/query/limit'],
      ['limit=201', '/query/limit'],
      ['limit=ten', '/query/limit'],
      ['cursor=not-a-cursor', '/query/cursor'],
      [`cursor=${Buffer.from('{"t":1,"id":"aud_1"}').toString('base64url')}`, '/query/cursor'],
      [`cursor=${newestCursor}`, '/query/cursor'], // read newest first, asked oldest first
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
    expect((await search(`order=newest&cursor=${newestCursor}`)).statusCode).toBe(200);
  });

  it('is for IG officers only: a GP gets 403, no token 401', async () => {
    const response = await search(`receiptId=${R1}`, gp);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'forbidden' });
    const anonymous = await search(`receiptId=${R1}`, null);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'unauthenticated' });
    // The chains are gone with the Redis store: the verifiable log replaces them.
    expect((await h.inject(officer, { method: 'GET', url: '/v1/audit/chains/verification' })).statusCode).toBe(404);
  });
});

// These run after the tests above and add to the trail at later times (t(60) on).
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
    await record(events);

    for (const id of [plan, refusal, lookup, fgm]) {
      expect(await searchIds(`receiptId=${id}`), id).toEqual(
        events.filter((event) => event.receiptId === id).map((event) => event.eventId),
      );
    }
    expect(await searchIds(`receiptId=${plan}`)).toHaveLength(2);
    // A plan by its authority's own reference.
    expect(await searchIds('incidentRef=E06000066:PLAN-1')).toEqual([events[0]!.eventId, events[1]!.eventId]);
  });
});

describe('audit search integrity', () => {
  it('answers what it can trust and reports each other row once, by where it was recorded, never its content', async () => {
    const receipt = contentId('rcpt', 'unreadable');
    const events = Array.from({ length: 4 }, (_, i) =>
      auditEvent('inbox', 'notification-fetched', t(70 + i), {
        receiptId: receipt,
        recipient: 'gp:A81001',
        notificationId: contentId('ntf', 'unreadable', String(i)),
      }),
    );
    await record(events);
    // One entry edited in place (it no longer hashes to its leaf hash); another cut short with its hash recomputed.
    const corrupt = `{"eventId":"${events[1]!.eventId}","nhsNumber":"${N2}","receip`;
    const at = (i: number) => positions.get(events[i]!.eventId)!;
    const edited = Buffer.from(canonicalJson({ ...events[2], recipient: 'gp:L81901' }), 'utf8');
    await h.deps.viewPostgres('audit').query(
      `UPDATE audit_events SET entry = $1, leaf_hash = sha256('\\x00'::bytea || $1)
       WHERE kafka_partition = $2 AND kafka_offset = $3`,
      [Buffer.from(corrupt, 'utf8'), at(1).partition, at(1).offset],
    );
    await h.deps
      .viewPostgres('audit')
      .query('UPDATE audit_events SET entry = $1 WHERE kafka_partition = $2 AND kafka_offset = $3', [
        edited,
        at(2).partition,
        at(2).offset,
      ]);

    const response = await search(`receiptId=${receipt}`);
    expect(response.statusCode).toBe(200);
    const page = response.json<SearchPage>();
    expect(page.items.map((event) => event.eventId)).toEqual([events[0]!.eventId, events[3]!.eventId]);
    expect(page.integrity).toEqual({ unreadable: 2, positions: [at(1), at(2)] });
    expect(response.body).not.toContain(N2);

    // Paged one row at a time, each untrusted row is reported on the page where it falls, once.
    const pages = await allPages(`receiptId=${receipt}&limit=1`);
    expect(pages.map((p) => [p.items.length, p.integrity.unreadable])).toEqual([
      [1, 0],
      [0, 1],
      [0, 1],
      [1, 0],
    ]);

    // The problem is logged by position only.
    const warning = h.logs.lines().find((line) => line['msg'] === 'audit search met unreadable events');
    expect(warning).toMatchObject({ integrity: { unreadable: 2, positions: [at(1), at(2)] } });
    expect(h.logs.text()).not.toContain(corrupt);

    // A readable trail reports nothing.
    expect((await search(`receiptId=${R1}`)).json<SearchPage>().integrity).toEqual({ unreadable: 0, positions: [] });
  });
});

describe('audit search scope', () => {
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
  const idsOf = (events: AuditEvent[]) => sortStored(events).map((event) => event.eventId);

  beforeAll(async () => {
    await record([...bristol, ...somerset]);
  });

  it('shows an area IG officer only the events concerning their area; a national officer sees both', async () => {
    const aboutN3 = (events: AuditEvent[]) => idsOf(events.filter((event) => event.nhsNumber === N3));
    expect(await searchIds(`nhsNumber=${N3}`, somersetOfficer)).toEqual(aboutN3(somerset));
    expect(await searchIds(`nhsNumber=${N3}`, bristolOfficer)).toEqual(aboutN3(bristol));
    expect(await searchIds(`nhsNumber=${N3}`, officer)).toEqual(aboutN3([...bristol, ...somerset]));
    // Not by the record's id either, nor by browsing the trail, nor by the other area's inbox, nor newest first.
    expect(await searchIds(`receiptId=${bristolReceipt}`, somersetOfficer)).toEqual([]);
    expect(await searchIds('recipient=gp:L81901', somersetOfficer)).toEqual([]);
    const window = `from=${t(80).toISOString()}&to=${t(84).toISOString()}`;
    expect(await searchIds(window, somersetOfficer)).toEqual(idsOf(somerset));
    expect(await searchIds(`${window}&order=newest`, somersetOfficer)).toEqual(idsOf(somerset).reverse());
    // Bristol's officer sees the force's intake too: the record reached Bristol.
    expect(await searchIds(window, bristolOfficer)).toEqual(idsOf(bristol));
  });

  it('audits each search with the officer and the scope it ran in', async () => {
    const start = Date.now();
    expect((await search(`nhsNumber=${N3}`, somersetOfficer)).statusCode).toBe(200);
    expect((await search(`nhsNumber=${N3}`, officer)).statusCode).toBe(200);
    const searches = (await h.auditedWhere((event) => Date.parse(event.at) >= start, 2)).filter(
      (event) => event.action === 'audit-searched',
    );
    expect(searches.map((event) => [event.actor, event.nhsNumber, event.reason])).toEqual(
      expect.arrayContaining([
        [{ clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' }, N3, 'scope:E06000066'],
        [{ clientId: 'ig-officer-1', role: 'ig-officer-national', organisation: 'X26' }, N3, 'scope:hub'],
      ]),
    );
    expect(searches).toHaveLength(2);
    // A search concerns its searcher: the Somerset officer finds their own search, Bristol's does not.
    await record(searches);
    const own = searches.find((event) => event.reason === 'scope:E06000066')!;
    const theirs = 'action=audit-searched&actorClientId=somerset-ig';
    expect(await searchIds(theirs, somersetOfficer, false)).toContain(own.eventId);
    expect(await searchIds(theirs, bristolOfficer, false)).toEqual([]);
  });
});
