import { setTimeout as sleep } from 'node:timers/promises';
import { auditEvent } from '@hub/audit';
import { createAuth, loadClientRegistry, type Auth } from '@hub/auth';
import {
  createTempDir,
  createTestClient,
  createTestKeyStore,
  requestAccessToken,
  writeClientRegistry,
  type TempDir,
  type TestClient,
} from '@hub/auth/testing';
import { auditEventsTopic, contentId, type AuditEvent } from '@hub/contracts';
import { createHttpServer, type HttpServer } from '@hub/http';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAuditCursor } from './cursor.ts';
import { registerAuditRoutes } from './routes.ts';
import { chainHash, createAuditStore, type AuditStore, type StoredAuditEvent } from './store.ts';

const TOKEN_URL = 'https://hub.test.invalid/oauth2/token';

const logs = captureLogs('audit');
let dir: TempDir;
let redis: RedisClient;
let kafka: KafkaClient;
let store: AuditStore;
let auth: Auth;
let app: HttpServer;
/** Routes whose Kafka client is closed: the audit of a search cannot be written. */
let appWithoutKafka: HttpServer;
const published: { key: string | null; value: AuditEvent }[] = [];
const tokens = new Map<string, string>();

const officer = createTestClient({ clientId: 'ig-officer-1', role: 'ig-officer', organisation: 'X26' });
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

async function buildApp(client: KafkaClient): Promise<HttpServer> {
  const server = createHttpServer({ logger: logs.logger, serviceName: 'audit-test' });
  auth.registerTokenEndpoint(server);
  registerAuditRoutes(server, { auth, store, kafka: client, now: () => new Date() });
  await server.ready();
  return server;
}

beforeAll(async () => {
  const endpoints = testEndpoints();
  dir = await createTempDir();
  const registry = await loadClientRegistry({
    file: await writeClientRegistry(dir.path, [officer, gp]),
    logger: logs.logger,
  });
  const keyStore = await createTestKeyStore(dir.path);
  redis = createRedis({
    url: endpoints.redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'audit-routes-test',
    logger: logs.logger,
  });
  store = createAuditStore(redis);
  const namespace = isolatedTopicNamespace();
  kafka = createKafkaClient({
    brokers: endpoints.kafkaBrokers,
    clientId: 'audit-routes-test',
    topicNamespace: namespace,
    logger: logs.logger,
  });
  await kafka.provisionTopics([auditEventsTopic]);
  auth = createAuth({ registry, keyStore, redis, tokenUrl: TOKEN_URL, logger: logs.logger });
  app = await buildApp(kafka);
  const closed = createKafkaClient({
    brokers: endpoints.kafkaBrokers,
    clientId: 'audit-routes-test-closed',
    topicNamespace: namespace,
    logger: logs.logger,
  });
  await closed.close();
  appWithoutKafka = await buildApp(closed);
  await kafka.consume(auditEventsTopic, {
    groupId: uniqueId('audit-reader'),
    handle: (message) => {
      published.push({ key: message.key, value: message.value });
      return Promise.resolve();
    },
  });
  for (const [index, event] of seeded.entries()) expect(await store.append(event, index < 5 ? 0 : 1)).toBe('stored');
  for (const client of [officer, gp]) {
    tokens.set(client.clientId, await requestAccessToken(app, client, { tokenUrl: TOKEN_URL }));
  }
});

afterAll(async () => {
  // NHS numbers searched for never reach a log line (the URL is never logged).
  const text = logs.text();
  for (const value of [N1, N2, ...tokens.values()]) expect(text).not.toContain(value);
  await app.close();
  await appWithoutKafka.close();
  await kafka.close();
  await closeRedis(redis);
  await dir.remove();
});

interface SearchPage {
  items: StoredAuditEvent[];
  nextCursor: string | null;
}

function search(query: string, client: TestClient | null = officer, server = app) {
  return server.inject({
    method: 'GET',
    url: `/v1/audit/events${query === '' ? '' : `?${query}`}`,
    headers: client === null ? {} : { authorization: `Bearer ${tokens.get(client.clientId) ?? ''}` },
  });
}

async function searchIds(query: string): Promise<string[]> {
  const response = await search(query);
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

function verification(partition: string, client: TestClient = officer) {
  return app.inject({
    method: 'GET',
    url: `/v1/audit/chains/${partition}/verification`,
    headers: { authorization: `Bearer ${tokens.get(client.clientId) ?? ''}` },
  });
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
    const since = () => published.filter(({ value }) => Date.parse(value.at) >= start);
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
    const actor = { clientId: officer.clientId, role: 'ig-officer', organisation: 'X26' };
    expect(
      searches.map(({ key, value }) => [
        key,
        value.action,
        value.actor,
        value.nhsNumber,
        value.receiptId,
        value.recipient,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [R2, 'audit-searched', actor, N2, R2, null],
        [R2, 'audit-searched', actor, N2, R2, null],
        ['X26', 'audit-searched', actor, null, null, 'marac:E06000066'],
        ['X26', 'audit-searched', actor, null, null, null],
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
      ['from=2026-11-22', '/query/from'],
      ['to=yesterday', '/query/to'],
      [`from=${t(5).toISOString()}&to=${t(4).toISOString()}`, '/query/to'],
      ['limit=0', '/query/limit'],
      ['limit=201', '/query/limit'],
      ['limit=ten', '/query/limit'],
      ['cursor=not-a-cursor', '/query/cursor'],
      [`cursor=${Buffer.from('{"t":1,"id":"aud_1"}').toString('base64url')}`, '/query/cursor'],
      ['actor=gp-a81001', '/query/actor'],
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
    const anonymousChain = await app.inject({ method: 'GET', url: '/v1/audit/chains/0/verification' });
    expect(anonymousChain.statusCode).toBe(401);
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
    for (const event of events) await store.append(event, 2);
    expect((await verification('2')).json()).toEqual({ partition: 2, ok: true, length: 3 });
    const raw = redis.duplicate({ keyPrefix: '' });
    try {
      const key = `${redis.options.keyPrefix ?? ''}audit:event:${events[1]!.eventId}`;
      const stored = JSON.parse((await raw.get(key))!) as Record<string, unknown>;
      await raw.set(key, JSON.stringify({ ...stored, reason: 'edited' }));
    } finally {
      await raw.quit();
    }
    expect((await verification('2')).json()).toEqual({ partition: 2, ok: false, brokenAt: 1 });

    for (const partition of ['6', '-1', 'x', '1000']) {
      const response = await verification(partition);
      expect(response.statusCode, partition).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ pointer: '/params/partition' }] });
    }
  });
});
