import { HUB_VIEW_NAMES, VIEW_KEYS, viewStore } from '@hub/contracts';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { VIEW_CHECK_INTERVAL_MS } from '@hub/runtime';
import { captureLogs, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, victimOnlyIncident, type TestHub } from './testing.ts';

let hub: TestHub;
/** The hub's own keys only (its isolated prefix): the shared Redis is never flushed. */
let redis: RedisClient;

beforeAll(async () => {
  hub = await startTestHub();
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: hub.redisPrefix,
    connectionName: 'view-loss-test',
    logger: captureLogs().logger,
  });
});

afterAll(async () => {
  await closeRedis(redis);
  await hub.stop();
});

async function readiness(): Promise<{ status: number; failedChecks: string[] }> {
  const response = await fetch(`${hub.url}/health/ready`);
  const body = (await response.json()) as { failedChecks?: string[] };
  return { status: response.status, failedChecks: [...(body.failedChecks ?? [])].sort() };
}

/** The views kept in Redis: a Redis wipe loses them. The audit view is in PostgreSQL (services/audit, Generations). */
const REDIS_VIEWS = HUB_VIEW_NAMES.filter((view) => viewStore(view) === 'redis');
const VIEW_CHECKS = REDIS_VIEWS.map((view) => `view:${view}`).sort();

describe('a view that loses its Redis keys', () => {
  it('a fresh hub is ready once its views are built, each with its generation marker', async () => {
    expect(await readiness()).toEqual({ status: 200, failedChecks: [] });
    const markers = await Promise.all(REDIS_VIEWS.map((view) => redis.get(VIEW_KEYS.generation(view))));
    expect(markers.every((marker) => marker !== null && /^[0-9a-f]{12}$/.test(marker))).toBe(true);
    expect(new Set(markers).size).toBe(REDIS_VIEWS.length);
    expect(hub.hub.views.ready('audit')).toBe(true);
  });

  it('makes the hub not ready, naming the lost views; their routes answer 503 not-ready, incidents too', async () => {
    const first = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(victimOnlyIncident('ASP-VIEWLOSS-1')),
    });
    expect(first.status).toBe(202);
    const { receiptId } = (await first.json()) as { receiptId: string };
    // The pipeline has run through to the audit view: the receipt answers before the wipe.
    await expect
      .poll(async () => (await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`)).status, {
        timeout: 30_000,
      })
      .toBe(200);

    const keys = await scanKeys(redis, '*');
    expect(keys.length).toBeGreaterThan(REDIS_VIEWS.length);
    await redis.del(...keys);
    const wipedAt = Date.now();

    await expect
      .poll(async () => (await readiness()).failedChecks.filter((check) => check.startsWith('view:')), {
        timeout: VIEW_CHECK_INTERVAL_MS + 3_000,
        interval: 200,
      })
      .toEqual(VIEW_CHECKS);
    expect(Date.now() - wipedAt).toBeLessThan(VIEW_CHECK_INTERVAL_MS + 3_000);
    expect((await readiness()).status).toBe(503);

    const reads: [string, string][] = [
      ['gpVictim', '/v1/inboxes/gp:L85901/notifications'],
      ['police', `/v1/domestic-abuse-incidents/${receiptId}`],
      [
        'edTaunton',
        '/v1/child-protection-flags?nhsNumber=9991001042&settingOds=RZ9AB&settingType=emergency-department',
      ],
    ];
    for (const [client, path] of reads) {
      const response = await hub.call(client, path);
      expect([path, response.status]).toEqual([path, 503]);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.get('retry-after')).toBe('5');
      expect(((await response.json()) as { code: string }).code).toBe('not-ready');
    }
    // The audit trail lives in PostgreSQL: a Redis wipe loses none of it, and its search answers throughout.
    expect((await hub.call('igOfficer', `/v1/audit/events?receiptId=${receiptId}`)).status).toBe(200);

    // Incidents wait for their own versions: without them an unchanged resend would be taken as a new incident.
    const resent = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(victimOnlyIncident('ASP-VIEWLOSS-1')),
    });
    expect(resent.status).toBe(503);
    expect(((await resent.json()) as { code: string }).code).toBe('not-ready');
    expect(hub.logs.text()).toContain('view inbox lost');

    // Then the hub rebuilds every view from Kafka by itself: ready again, the receipt as it was, the resend unchanged.
    await expect.poll(async () => (await readiness()).status, { timeout: 60_000, interval: 500 }).toBe(200);
    expect((await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`)).status).toBe(200);
    const again = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(victimOnlyIncident('ASP-VIEWLOSS-1')),
    });
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ receiptId, status: 'unchanged' });
    expect(hub.logs.text()).toContain('view inbox: switched to generation');
  });
});
