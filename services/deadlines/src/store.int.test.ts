import { issuedDeadlines } from '@hub/contracts';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import type { Schedule } from './decide.ts';
import { COUNTED_STATUSES, createDeadlineStore, type ViewChange } from './store.ts';

// The deadlines view written a fetched batch at a time (`apply`, the projectors' path: notifications concurrently,
// each one's changes in order) and a change at a time: the same keys, members and versions, in fewer round trips.
const logs = captureLogs('deadlines-store-test');
const clients: RedisClient[] = [];

function isolated() {
  const redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'deadlines-store-test',
    logger: logs.logger,
  });
  clients.push(redis);
  return { redis, store: createDeadlineStore(redis) };
}

afterAll(async () => {
  for (const client of clients) {
    const written = await scanKeys(client, '*');
    if (written.length > 0) await client.del(...written);
    await closeRedis(client);
  }
});

const scheduleOf = (receipt: string): Schedule => ({
  recipient: 'gp:L85901',
  kind: 'da-gp-notification',
  receiptId: `rcpt_${receipt.padStart(32, '0')}`,
  subjectRef: 'V1',
  issuedAt: '2026-12-07T08:00:00.000Z',
  deadlines: issuedDeadlines.parse({
    rule: 'DL-DA-GP-HIGH',
    policyVersion: 'da-2026.12.1',
    unit: 'working-hours',
    fetch: { due: '2026-12-07T12:00:00.000Z', within: 4, then: 'escalate', escalateTo: 'exceptions:E06000066' },
    acknowledge: {
      due: '2026-12-07T18:30:00.000Z',
      within: 10.5,
      then: 'escalate',
      escalateTo: 'exceptions:E06000066',
    },
    final: { due: '2026-12-08T18:30:00.000Z', within: 21, then: 'non-delivery-report' },
    reportTo: 'force:ASP',
    bankHolidays: { source: 'https://www.gov.uk/bank-holidays.json', takenOn: '2026-12-06' },
  }),
});

/** Every key the batch below can write, with what it holds, to compare two views. */
async function contents(redis: RedisClient): Promise<Record<string, unknown>> {
  const ids = ['ntf_a', 'ntf_b', 'ntf_c', 'ntf_d', 'ntf_e'];
  const entries: (readonly [string, unknown])[] = await Promise.all([
    ...ids.map(async (id) => [`dl:ntf:${id}`, await redis.hgetall(`dl:ntf:${id}`)] as const),
    (async () => ['dl:pending', await redis.zrange('dl:pending', 0, -1, 'WITHSCORES')] as const)(),
    ...COUNTED_STATUSES.map(async (state) => [state, (await redis.smembers(`dl:state:${state}`)).sort()] as const),
  ]);
  return Object.fromEntries(entries);
}

// A batch as the projectors see one: marks before the schedule they belong to (a replay), a mark twice with two
// times (the first kept), an amendment superseding a notification, a notification escalated and one acknowledged.
const batch: ViewChange[] = [
  { id: 'ntf_a', mark: 'delivered', at: '2026-12-07T08:00:01.000Z' },
  { id: 'ntf_a', schedule: scheduleOf('1') },
  { id: 'ntf_b', schedule: scheduleOf('2') },
  { id: 'ntf_b', mark: 'fetched', at: '2026-12-07T13:00:00.000Z' },
  { id: 'ntf_b', mark: 'fetched', at: '2026-12-07T14:00:00.000Z' },
  { id: 'ntf_c', schedule: scheduleOf('3') },
  { id: 'ntf_c', mark: 'overdue:fetch', at: '2026-12-07T12:00:00.000Z' },
  { id: 'ntf_c', mark: 'escalated:fetch', at: '2026-12-07T12:00:02.000Z' },
  { id: 'ntf_d', schedule: scheduleOf('4') },
  { id: 'ntf_a', supersededAt: '2026-12-07T09:00:00.000Z' },
  { id: 'ntf_e', mark: 'fetched', at: '2026-12-07T10:00:00.000Z' },
  { id: 'ntf_d', mark: 'acknowledged', at: '2026-12-07T10:30:00.000Z' },
];

/** One change at a time, through the projectors' former per-record calls. */
async function oneByOne(store: ReturnType<typeof createDeadlineStore>, changes: readonly ViewChange[]) {
  for (const change of changes) {
    if ('schedule' in change) await store.schedule(change.id, change.schedule);
    else if ('supersededAt' in change) await store.supersede(change.id, change.supersededAt);
    else await store.mark(change.id, change.mark, change.at);
  }
}

describe('the deadlines view applied a batch at a time', () => {
  it('holds what a change at a time gives: first values kept, versions, schedule and counted states', async () => {
    const single = isolated();
    const batched = isolated();
    await oneByOne(single.store, batch);
    await batched.store.apply(batch);
    const view = await contents(batched.redis);
    expect(view).toEqual(await contents(single.redis));

    // So the comparison compares something: the first fetch time kept, each first value bumping the version once.
    const b = await batched.store.read('ntf_b');
    expect(b.marks.fetched).toBe('2026-12-07T13:00:00.000Z');
    expect(b.version).toBe('2');
    expect((await batched.store.read('ntf_a')).supersededAt).toBe('2026-12-07T09:00:00.000Z');
    expect(await batched.store.counts()).toEqual({ overdue: 0, escalated: 1, 'not-delivered': 0 });
    // The fetched one and the escalated one wait for their acknowledgement; superseded and acknowledged, nothing.
    expect(await batched.store.due(Number.MAX_SAFE_INTEGER, 10)).toEqual(['ntf_b', 'ntf_c']);
    expect(await batched.redis.zscore('dl:pending', 'ntf_c')).toBe(String(Date.parse('2026-12-07T18:30:00.000Z')));
  });

  it('the same batch again (a redelivery) changes nothing, versions included', async () => {
    const { redis, store } = isolated();
    await store.apply(batch);
    const once = await contents(redis);
    await store.apply(batch);
    expect(await contents(redis)).toEqual(once);
  });

  it('a batch split anywhere gives the same view (a failed batch is applied record by record)', async () => {
    const whole = isolated();
    await whole.store.apply(batch);
    for (const at of [1, 4, 9]) {
      const split = isolated();
      await split.store.apply(batch.slice(0, at));
      await split.store.apply(batch.slice(at));
      expect(await contents(split.redis)).toEqual(await contents(whole.redis));
    }
  });
});

/**
 * `client` counting its waits on Redis: a command sent while none of its earlier ones is unanswered starts a new
 * round trip; one sent while another is still on the wire shares it.
 */
function counted(client: RedisClient): { client: RedisClient; trips: { sequential: number } } {
  const trips = { sequential: 0 };
  let unanswered = 0;
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !['eval', 'hgetall', 'hsetnx', 'hincrby'].includes(String(property))) {
        return value;
      }
      return (...args: unknown[]) => {
        if (unanswered === 0) trips.sequential += 1;
        unanswered += 1;
        const reply = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        // Attached before the caller's own handlers, so it runs first.
        reply.then(
          () => (unanswered -= 1),
          () => (unanswered -= 1),
        );
        return reply;
      };
    },
  });
  return { client: proxy, trips };
}

describe('round trips', () => {
  it('a change is two waits on Redis (its field written and the notification read at once, then its reschedule)', async () => {
    const { redis } = isolated();
    const { client, trips } = counted(redis);
    await createDeadlineStore(client).schedule('ntf_a', scheduleOf('1'));
    // Four before: HSETNX, HINCRBY, HGETALL, SET_NEXT one after another.
    expect(trips.sequential).toBe(2);
    expect((await createDeadlineStore(redis).read('ntf_a')).version).toBe('1');
    expect(await redis.zscore('dl:pending', 'ntf_a')).toBe(String(Date.parse('2026-12-07T12:00:00.000Z')));
  });

  it("a batch's notifications are applied together: two waits per change of its busiest one, not per change", async () => {
    const { redis } = isolated();
    const { client, trips } = counted(redis);
    const many: ViewChange[] = Array.from({ length: 100 }, (_, index) => ({
      id: `ntf_${index}`,
      schedule: scheduleOf(String(index + 1)),
    }));
    await createDeadlineStore(client).apply([
      ...many,
      { id: 'ntf_0', mark: 'fetched', at: '2026-12-07T09:00:00.000Z' },
    ]);
    expect(trips.sequential).toBeLessThanOrEqual(4);
    expect(await redis.zcard('dl:pending')).toBe(100);
    expect((await createDeadlineStore(redis).read('ntf_0')).marks.fetched).toBe('2026-12-07T09:00:00.000Z');
  });

  it('a notification changed by another writer meanwhile is read again, never rescheduled from the older read', async () => {
    const single = isolated();
    await oneByOne(single.store, batch);
    const { redis, store } = isolated();
    // The other projector's marks of the same notifications, written while the batch is applied.
    const others = batch.filter((change) => 'mark' in change);
    const own = batch.filter((change) => !('mark' in change));
    await Promise.all([store.apply(own), ...others.map((change) => store.apply([change]))]);
    expect(await contents(redis)).toEqual(await contents(single.redis));
  });
});
