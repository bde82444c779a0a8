import { auditEvent } from '@hub/audit';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditStore, type AuditStore } from './store.ts';

let redis: RedisClient;
let store: AuditStore;

beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'audit-test',
    logger: captureLogs().logger,
  });
  store = createAuditStore(redis);
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

    expect((await store.search({ receiptId: receipt, limit: 50 })).map((e) => e.eventId)).toEqual(
      all.map((e) => e.eventId),
    );
    expect((await store.search({ nhsNumber: '9990000034', limit: 50 })).map((e) => e.eventId)).toEqual([
      all[3]!.eventId,
    ]);
    expect(await store.search({ recipient: 'marac:E06000066', receiptId: receipt, limit: 50 })).toHaveLength(3);
    expect(await store.search({ receiptId: receipt, from: t(12), to: t(14), limit: 50 })).toHaveLength(3);

    const pages: string[][] = [];
    let after: { time: number; eventId: string } | undefined;
    for (;;) {
      const page = await store.search({ receiptId: receipt, after, limit: 3 });
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
    const found = await createAuditStore(racing).search({ nhsNumber, limit: 100 });
    expect(stored).toBe(true);
    expect(found.map((e) => e.eventId)).toEqual(early.map((e) => e.eventId));
  });
});
