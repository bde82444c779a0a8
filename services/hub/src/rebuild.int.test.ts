import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HUB_VIEW_NAMES, stateOwnerOf, viewGenerationKey, viewSteps } from '@hub/contracts';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { captureLogs, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, VICTIM_NHS_NUMBER, victimOnlyIncident, type TestHub } from './testing.ts';

/*
 * `./hub rebuild` (rebuild-cli.ts): a hub's views are lost; with the hub stopped, the CLI resets the views' groups and
 * deletes what is left of their keys and markers; the next hub on the same deployment replays them and answers
 * exactly what the first answered before the loss. Only the test's own key prefix is ever wiped.
 */

const CLI = fileURLToPath(new URL('./rebuild-cli.ts', import.meta.url));

let first: TestHub;
let second: TestHub | undefined;
/** The hubs' own keys only (their isolated prefix): the shared Redis is never flushed. */
let redis: RedisClient;

beforeAll(async () => {
  first = await startTestHub();
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: first.redisPrefix,
    connectionName: 'rebuild-test',
    logger: captureLogs().logger,
  });
});

afterAll(async () => {
  await closeRedis(redis);
  await second?.stop();
  await first.stop();
});

/** `./hub rebuild` on the test's deployment, as a process of its own. */
async function runCli(...views: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const endpoints = testEndpoints();
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...views], {
      env: {
        PATH: process.env['PATH'] ?? '',
        KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
        KAFKA_TOPIC_NAMESPACE: first.namespace,
        REDIS_URL: endpoints.redisUrl,
        REDIS_KEY_PREFIX: first.redisPrefix,
      },
      timeout: 60_000,
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
  it('refuses while the hub runs, naming the groups with members, and changes nothing', async () => {
    await expect.poll(() => readiness(first), { timeout: 60_000 }).toBe(200);
    const markers = await Promise.all(HUB_VIEW_NAMES.map((view) => redis.get(viewGenerationKey(view))));

    const refused = await runCli('audit');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused: consumer groups with active members: audit-store;');
    expect(refused.stderr).toContain('stop every hub instance first');
    expect(refused.stdout).not.toContain('audit:');
    expect(await Promise.all(HUB_VIEW_NAMES.map((view) => redis.get(viewGenerationKey(view))))).toEqual(markers);
    expect(await readiness(first)).toBe(200);
  });

  it('refuses an unknown view', async () => {
    const refused = await runCli('inboxes');
    expect([refused.code, refused.stderr.split('\n')[0]]).toEqual([2, 'no view inboxes']);
  });

  it('after a loss and a rebuild, the next hub answers the inboxes, receipt status and audit search as before', async () => {
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
    // The receipt status has both, through the audit trail.
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

    // The loss: every key of the deployment but the receipt-status view's, which the rebuild must delete itself.
    const keys = await scanKeys(redis, '*');
    const kept = keys.filter((key) => stateOwnerOf(key)?.name === 'receipt-status');
    expect(kept).toHaveLength(1);
    await redis.del(...keys.filter((key) => !kept.includes(key)));
    await expect.poll(() => readiness(first), { timeout: 10_000, interval: 200 }).toBe(503);
    await first.hub.stop();

    const rebuilt = await runCli();
    expect([rebuilt.code, rebuilt.stderr]).toEqual([0, '']);
    const out = rebuilt.stdout;
    expect(out.split('\n')[0]).toBe(`rebuilding ${HUB_VIEW_NAMES.join(', ')}`);
    for (const view of HUB_VIEW_NAMES) {
      const start = out.indexOf(`\n${view}:\n`);
      expect(start).toBeGreaterThan(0);
      const section = out.slice(start, out.indexOf('keys deleted', start));
      for (const step of viewSteps(view)) {
        expect(section).toContain(`group ${step.groupId} reset to the earliest offsets of ${step.input.name} (0@0`);
      }
    }
    // The key the loss left is deleted by its own view's rebuild (not incident-versions', whose glob matches it too).
    expect(out).toMatch(
      /\nreceipt-status:\n {2}group .*\n {2}keys deleted: 1\n {2}generation marker was already gone\n/,
    );
    expect(out).toContain('done: start the hub');
    // Ids, topics and counts only.
    for (const personal of [VICTIM_NHS_NUMBER, 'Victim', 'TA1 3RE', receiptId, 'L85901'])
      expect(out).not.toContain(personal);
    // Nothing of any view is left, nor a marker.
    const left = await scanKeys(redis, '*');
    expect(left.filter((key) => stateOwnerOf(key)?.kind === 'view' || key.startsWith('view:'))).toEqual([]);

    second = await startTestHub({ joining: first });
    await expect.poll(() => readiness(second as TestHub), { timeout: 90_000, interval: 500 }).toBe(200);
    expect(second.logs.text()).toContain('view inbox is new: building from its topics');
    expect(JSON.stringify(await answers(second, receiptId, to))).toBe(JSON.stringify(before));
  });
});
