import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HUB_VIEW_NAMES, STEPS, VIEW_KEYS, viewStore, type HubViewName } from '@hub/contracts';
import { createKafkaClient } from '@hub/kafka';
import { createPostgres, type Postgres } from '@hub/postgres';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { generationSchema, postgresMarkers } from '@hub/runtime';
import { captureLogs, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, VICTIM_NHS_NUMBER, victimOnlyIncident, type TestHub } from './testing.ts';

/*
 * `./hub rebuild` (rebuild-cli.ts) on a running hub: each view is rebuilt into a new generation beside the one served
 * and switched to once caught up, so the hub stays ready and answers exactly what it answered before; `--discard`
 * stops serving the view until its new generation is served. Only the test's own key prefix is ever touched.
 */

const CLI = fileURLToPath(new URL('./rebuild-cli.ts', import.meta.url));

let first: TestHub;
/** The hubs' own keys only (their isolated prefix): the shared Redis is never flushed. */
let redis: RedisClient;
/** The hub's own schema: the marker of the audit view, kept in PostgreSQL. */
let postgres: Postgres;

beforeAll(async () => {
  first = await startTestHub();
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: first.redisPrefix,
    connectionName: 'rebuild-test',
    logger: captureLogs().logger,
  });
  postgres = createPostgres({
    url: testEndpoints().postgresUrl,
    schema: first.postgresSchema,
    applicationName: 'rebuild-test',
    logger: captureLogs().logger,
  });
});

afterAll(async () => {
  await closeRedis(redis);
  await postgres.close();
  await first.stop();
});

/** The generation of a view served, from its marker wherever the view is kept. */
function markerOf(view: HubViewName): Promise<string | null> {
  return viewStore(view) === 'postgres' ? postgresMarkers(postgres).read(view) : redis.get(VIEW_KEYS.generation(view));
}

/** What is left of a replaced generation: its keys, or its schema. */
async function leftOf(view: HubViewName, generation: string | null): Promise<number> {
  if (generation === null) return 0;
  if (viewStore(view) === 'redis') return (await scanKeys(redis, `${VIEW_KEYS.space(view, generation)}*`)).length;
  const schema = generationSchema(first.postgresSchema, view, generation);
  return (await postgres.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount;
}

/** `./hub rebuild` on the test's deployment, as a process of its own. */
async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const endpoints = testEndpoints();
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        REDIS_URL: endpoints.redisUrl,
        REDIS_KEY_PREFIX: first.redisPrefix,
        POSTGRES_URL: endpoints.postgresUrl,
        POSTGRES_SCHEMA: first.postgresSchema,
      },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function readiness(hub: TestHub): Promise<number> {
  return (await fetch(`${hub.url}/health/ready`)).status;
}

/** What the clients see: each answer's status and JSON body. */
async function answers(hub: TestHub, receiptId: string, to: string): Promise<unknown> {
  const reads: [string, string][] = [
    ['gpVictim', '/v1/inboxes/gp:L85901/notifications'],
    ['marac', '/v1/inboxes/marac:E06000066/notifications'],
    ['police', `/v1/domestic-abuse-incidents/${receiptId}`],
    // Up to a time before any of the test's searches: each search is itself audited under the receipt.
    ['igOfficer', `/v1/audit/events?receiptId=${receiptId}&to=${encodeURIComponent(to)}`],
  ];
  return Promise.all(
    reads.map(async ([client, path]) => {
      const response = await hub.call(client, path);
      return { path, status: response.status, body: await response.json() };
    }),
  );
}

describe('./hub rebuild', () => {
  it('refuses an unknown view or flag', async () => {
    expect((await runCli('inboxes')).code).toBe(2);
    expect((await runCli('--now', 'inbox')).code).toBe(2);
  });

  it('rebuilds every view of a running hub beside the one served: ready throughout, the same answers after', async () => {
    await expect.poll(() => readiness(first), { timeout: 60_000 }).toBe(200);
    const posted = await first.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(victimOnlyIncident('ASP-REBUILD-1')),
    });
    expect(posted.status).toBe(202);
    const { receiptId } = (await posted.json()) as { receiptId: string };

    // Both inboxes get their notification; the GP fetches and acknowledges, MARAC fetches.
    let gpItems: { id: string }[] = [];
    await expect
      .poll(
        async () => {
          const response = await first.call('gpVictim', '/v1/inboxes/gp:L85901/notifications');
          gpItems = ((await response.json()) as { items: { id: string }[] }).items;
          return gpItems.length;
        },
        { timeout: 60_000 },
      )
      .toBe(1);
    await expect
      .poll(
        async () => {
          const response = await first.call('marac', '/v1/inboxes/marac:E06000066/notifications');
          return ((await response.json()) as { items: unknown[] }).items.length;
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    const acknowledged = await first.call(
      'gpVictim',
      `/v1/inboxes/gp:L85901/notifications/${gpItems[0]?.id ?? ''}/acknowledgement`,
      { method: 'POST', body: '{}' },
    );
    expect(acknowledged.status).toBe(200);
    await expect
      .poll(
        async () => {
          const response = await first.call('police', `/v1/domestic-abuse-incidents/${receiptId}`);
          return JSON.stringify(await response.json());
        },
        { timeout: 30_000 },
      )
      .toMatch(/"acknowledged"[\s\S]*"fetched"|"fetched"[\s\S]*"acknowledged"/);
    const to = new Date().toISOString();
    // The audit view has every event before `to` once two searches agree (and hold the acknowledgement).
    let before: unknown;
    await expect
      .poll(
        async () => {
          const now = await answers(first, receiptId, to);
          const same = JSON.stringify(now) === JSON.stringify(before);
          before = now;
          return same && JSON.stringify(now).includes('notification-acknowledged');
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    const markers = await Promise.all(HUB_VIEW_NAMES.map(markerOf));

    // Readiness sampled all the while the CLI asks for and follows the rebuild.
    const statuses: number[] = [];
    const sampling = { on: true };
    const sampler = (async () => {
      while (sampling.on) {
        statuses.push(await readiness(first));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const rebuilt = await runCli();
    sampling.on = false;
    await sampler;
    expect([rebuilt.code, rebuilt.stderr]).toEqual([0, '']);
    for (const view of HUB_VIEW_NAMES) {
      expect(rebuilt.stdout).toMatch(new RegExp(`${view}: asked for generation [0-9a-f]{12}\\n`));
      expect(rebuilt.stdout).toMatch(new RegExp(`${view}: generation [0-9a-f]{12} is served\\n`));
    }
    for (const personal of [VICTIM_NHS_NUMBER, 'Victim', 'TA1 3RE', receiptId, 'L85901'])
      expect(rebuilt.stdout).not.toContain(personal);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);

    const after = await Promise.all(HUB_VIEW_NAMES.map(markerOf));
    after.forEach((marker, index) => {
      expect(marker).not.toBe(markers[index]);
    });
    expect(JSON.stringify(await answers(first, receiptId, to))).toBe(JSON.stringify(before));
    // After the switch's grace period, the replaced generations' keys (and the audit view's schema) are deleted.
    await expect
      .poll(
        async () =>
          (await Promise.all(HUB_VIEW_NAMES.map((view, index) => leftOf(view, markers[index] ?? null)))).reduce(
            (sum, left) => sum + left,
            0,
          ),
        { timeout: 30_000, interval: 500 },
      )
      .toBe(0);

    // The lineage projector runs only in a rebuild (rebuildOnly): live, the dispatcher writes the lineage itself, so
    // its live group has consumed nothing, while the rebuilt lineage answered as before (the answers above).
    const kafka = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'rebuild-test',
      logger: captureLogs().logger,
      topicNamespace: first.namespace,
    });
    try {
      const live = await kafka.lag(STEPS.dispatcherLineage.groupId, STEPS.dispatcherLineage.input);
      expect(live.progressed).toBe(false);
      expect(live.lag).toBeGreaterThan(0);
    } finally {
      await kafka.close();
    }

    // --discard: the inbox is served no more until its new generation is (not ready meanwhile), then the same.
    const discarded = await runCli('--discard', 'inbox');
    expect(discarded.code).toBe(0);
    expect(discarded.stdout).toContain('(current generation discarded)');
    expect(discarded.stdout).toMatch(/inbox: generation [0-9a-f]{12} is served\n/);
    await expect.poll(() => readiness(first), { timeout: 30_000 }).toBe(200);
    expect(JSON.stringify(await answers(first, receiptId, to))).toBe(JSON.stringify(before));
    expect(first.logs.text()).toContain('view inbox lost');
  }, 300_000);
});
