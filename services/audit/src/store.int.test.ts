import { auditEvent } from '@hub/audit';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PracticeAreas } from './scope.ts';
import { createAuditStore, type AuditQuery, type AuditStore } from './store.ts';

let redis: RedisClient;
let store: AuditStore;

/** The seed's practices and their local authorities (infra/seed/practices.json). */
const AREAS: Record<string, string> = { L85901: 'E06000066', L81901: 'E06000023', B82002: 'E06000066' };
const practices: PracticeAreas = {
  practice: (ods) => Promise.resolve(ods in AREAS ? { localAuthority: AREAS[ods]! } : undefined),
};
const HUB = { kind: 'hub' } as const;
const ids = async (query: Omit<AuditQuery, 'scope'> & { scope?: AuditQuery['scope'] }) =>
  (await store.search({ scope: HUB, ...query })).events.map((e) => e.eventId);

beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'audit-test',
    logger: captureLogs().logger,
  });
  store = createAuditStore(redis, practices);
});
afterAll(async () => {
  await closeRedis(redis);
});

const t = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute));

describe('audit store', () => {
  it('keeps each event once and chains each partition so any edit is detected', async () => {
    const events = [
      auditEvent('police-gateway', 'incident-received', t(0), { receiptId: 'rcpt_a' }),
      auditEvent('identity', 'subject-matched', t(1), {
        receiptId: 'rcpt_a',
        subjectRef: 'S1',
        nhsNumber: '9990000018',
      }),
      auditEvent('dispatcher', 'notification-routed', t(2), { receiptId: 'rcpt_a', recipient: 'gp:A81001' }),
    ];
    for (const event of events) expect(await store.append(event, 0)).toBe('stored');
    expect(await store.append(events[1]!, 0)).toBe('duplicate');
    expect(await store.verifyChain(0)).toEqual({ ok: true, length: 3 });

    // An insider edits the stored middle event (e.g. to hide who it was about): the chain breaks there.
    const keyPrefix = redis.options.keyPrefix ?? '';
    const raw = redis.duplicate({ keyPrefix: '' });
    const key = `${keyPrefix}audit:event:${events[1]!.eventId}`;
    const stored = JSON.parse((await raw.get(key))!) as Record<string, unknown>;
    await raw.set(key, JSON.stringify({ ...stored, nhsNumber: '9990000026' }));
    await raw.quit();
    expect(await store.verifyChain(0)).toEqual({ ok: false, brokenAt: 1 });
  });

  it('finds events by receipt, NHS number, recipient and time range, and pages without gaps or repeats', async () => {
    const receipt = 'rcpt_search';
    const all = Array.from({ length: 7 }, (_, i) =>
      auditEvent('dispatcher', 'notification-stored', t(10 + i), {
        receiptId: receipt,
        recipient: i % 2 === 0 ? 'gp:B82002' : 'marac:E06000066',
        nhsNumber: i === 3 ? '9990000034' : null,
        notificationId: `ntf_${String(i).padStart(32, '0')}`,
      }),
    );
    for (const event of all) await store.append(event, 1);

    expect(await ids({ receiptId: receipt, limit: 50 })).toEqual(all.map((e) => e.eventId));
    expect(await ids({ nhsNumber: '9990000034', limit: 50 })).toEqual([all[3]!.eventId]);
    expect(await ids({ recipient: 'marac:E06000066', receiptId: receipt, limit: 50 })).toHaveLength(3);
    expect(await ids({ receiptId: receipt, from: t(12), to: t(14), limit: 50 })).toHaveLength(3);

    const pages: string[][] = [];
    let after: { time: number; eventId: string } | undefined;
    for (;;) {
      const { events: page } = await store.search({ receiptId: receipt, after, limit: 3, scope: HUB });
      if (page.length === 0) break;
      pages.push(page.map((e) => e.eventId));
      const last = page.at(-1)!;
      after = { time: Date.parse(last.at), eventId: last.eventId };
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(all.map((e) => e.eventId));
  });

  it('returns each event once when events are stored while a search is scanning', async () => {
    // Events of one moment sort by id within the index. One is stored after the scan's first batch (the audit
    // service stores its own `audit-searched` event while the search runs); when its id sorts first, the events
    // already read shift into the next batch, and used to come back twice.
    const nhsNumber = '9990000042';
    const at = t(30);
    const made = Array.from({ length: 60 }, (_, i) =>
      auditEvent('child-protection', 'flags-looked-up', at, { receiptId: `lkp_${i}`, nhsNumber }),
    ).sort((a, b) => a.eventId.localeCompare(b.eventId));
    const [late, ...early] = made;
    for (const event of early) await store.append(event, 2);

    let stored = false;
    const racing = new Proxy(redis, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'zrangebyscore' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const ids: unknown = await Reflect.apply(value, target, args);
          if (!stored) {
            stored = true;
            await store.append(late!, 2);
          }
          return ids;
        };
      },
    });
    const found = await createAuditStore(racing, practices).search({ nhsNumber, limit: 100, scope: HUB });
    expect(stored).toBe(true);
    expect(found.events.map((e) => e.eventId)).toEqual(early.map((e) => e.eventId));
  });

  it("places each event under its areas; a record's area-less events take every area it reaches, in either order", async () => {
    const somerset = { kind: 'organisation', organisation: 'E06000066' } as const;
    const bristol = { kind: 'organisation', organisation: 'E06000023' } as const;
    const force = { kind: 'organisation', organisation: 'ASP' } as const;
    const police = { clientId: 'asp-police', role: 'police', organisation: 'ASP' } as const;
    const receipt = 'rcpt_placement';
    // The force's intake names no area; the routing that follows names a Bristol practice.
    const intake = auditEvent('police-gateway', 'incident-received', t(40), {
      actor: police,
      receiptId: receipt,
      incidentRef: 'ASP:INC-1',
    });
    const routed = auditEvent('dispatcher', 'notification-routed', t(41), {
      receiptId: receipt,
      incidentRef: 'ASP:INC-1',
      recipient: 'gp:L81901',
    });
    // An area-less event of the record stored after the record reached its area (redelivery, another partition).
    const matched = auditEvent('identity', 'subject-matched', t(42), { receiptId: receipt, subjectRef: 'S1' });
    // A Somerset plan, and a Somerset officer's search for the Bristol receipt.
    const plan = auditEvent('child-protection', 'plan-recorded', t(43), {
      actor: { clientId: 'somerset-safeguarding', role: 'local-authority', organisation: 'E06000066' },
      receiptId: 'cpv_placement',
      incidentRef: 'E06000066:PLAN-1',
    });
    const searched = auditEvent('audit', 'audit-searched', t(44), {
      actor: { clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' },
      receiptId: receipt,
      recipient: 'gp:L81901',
    });
    for (const event of [intake, routed, matched, plan, searched]) await store.append(event, 3);
    const from = t(40);

    expect(await ids({ from, limit: 50, scope: bristol })).toEqual([intake, routed, matched].map((e) => e.eventId));
    expect(await ids({ from, limit: 50, scope: somerset })).toEqual([plan, searched].map((e) => e.eventId));
    expect(await ids({ from, limit: 50, scope: force })).toEqual([intake, routed].map((e) => e.eventId));
    expect(await ids({ from, limit: 50 })).toEqual([intake, routed, matched, plan, searched].map((e) => e.eventId));
    // The scope holds with a more selective filter too: the receipt's events are Bristol's, bar Somerset's search.
    expect(await ids({ receiptId: receipt, limit: 50, scope: somerset })).toEqual([searched.eventId]);
    expect(await ids({ receiptId: receipt, limit: 50, scope: bristol })).toHaveLength(3);
  });

  it('reports an unreadable stored event with its chain position and answers the rest', async () => {
    const receipt = 'rcpt_unreadable';
    const events = Array.from({ length: 3 }, (_, i) =>
      auditEvent('inbox', 'notification-fetched', t(50 + i), {
        receiptId: receipt,
        recipient: 'gp:L85901',
        notificationId: `ntf_${i}`,
      }),
    );
    for (const event of events) await store.append(event, 4);
    const raw = redis.duplicate({ keyPrefix: '' });
    await raw.set(`${redis.options.keyPrefix ?? ''}audit:event:${events[1]!.eventId}`, '{"receiptId":"rcpt_unre');
    await raw.quit();

    const found = await store.search({ receiptId: receipt, limit: 50, scope: HUB });
    expect(found.events.map((e) => e.eventId)).toEqual([events[0]!.eventId, events[2]!.eventId]);
    expect(found.unreadable).toEqual([
      { time: t(51).getTime(), eventId: events[1]!.eventId, partition: 4, position: 1 },
    ]);
  });
});
