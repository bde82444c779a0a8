/*
 * A deadline survives the hub being killed at it: the real hub as a child process, on the real clock, under a test
 * policy whose deadlines are minutes (calendar hours: fetch 2 minutes, acknowledge 3, final 4). The hub is
 * SIGKILLed the moment its clock publishes the first tick of the fetch deadline (the stage may be mid-transaction),
 * restarted with the same topics, views and name, and each late notification is escalated exactly once, counted on
 * the record (every committed record, repeats kept).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadlinesDueTopic, type DaReceiptStatus } from '@hub/contracts';
import { createKafkaClient, type Subscription } from '@hub/kafka';
import { captureLogs, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeadlineRecord, type DeadlineRecord } from './deadline-record.ts';
import { createHubProcess, type HubProcess } from './hub-process.ts';
import { whitlockIncident } from './whitlock.ts';

const SHIPPED = fileURLToPath(new URL('../../packages/policy/policies/domestic-abuse.v3.json', import.meta.url));
const MINUTE = 1 / 60;

/** The shipped policy with every deadline in calendar minutes, as a version of its own. */
function minutePolicy(): string {
  const policy = JSON.parse(readFileSync(SHIPPED, 'utf8')) as {
    version: string;
    deadlines: {
      rules: { unit: string; fetch: { within: number }; acknowledge: { within: number }; final: { within: number } }[];
    };
  };
  policy.version = 'da-2026.12.90';
  for (const rule of policy.deadlines.rules) {
    rule.unit = 'calendar-hours';
    rule.fetch.within = 2 * MINUTE;
    rule.acknowledge.within = 3 * MINUTE;
    rule.final.within = 4 * MINUTE;
  }
  return JSON.stringify(policy);
}

let dir: string;
let hub: HubProcess;
let record: DeadlineRecord;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deadlines-kill-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, minutePolicy());
  const endpoints = testEndpoints();
  hub = await createHubProcess({
    kafkaBrokers: endpoints.kafkaBrokers,
    redisUrl: endpoints.redisUrl,
    postgresUrl: endpoints.postgresUrl,
    env: { POLICY_FILE: policyFile },
  });
  await hub.start(120_000);
  record = await readDeadlineRecord(hub.namespace);
}, 180_000);
afterAll(async () => {
  await record.stop();
  await hub.stop(10_000);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function statuses(receiptId: string): Promise<Record<string, string>> {
  const response = await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`);
  if (response.status !== 200) return {};
  const body = (await response.json()) as DaReceiptStatus;
  return Object.fromEntries(
    body.recipients.map((entry) => [`${entry.subjectRef ?? '-'}@${entry.recipient}`, entry.status]),
  );
}

/** Resolves at the first tick the hub's clock publishes. */
async function firstTick(namespace: string): Promise<{ seen: Promise<void>; stop: () => Promise<void> }> {
  const kafka = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'test-first-tick',
    logger: captureLogs().logger,
    topicNamespace: namespace,
  });
  let resolve: () => void = () => undefined;
  const seen = new Promise<void>((done) => {
    resolve = done;
  });
  const subscription: Subscription = await kafka.consume(deadlinesDueTopic, {
    groupId: uniqueId('test-first-tick'),
    // A tick is published alone (no transaction): seen as soon as it is written.
    handle: () => {
      resolve();
      return Promise.resolve();
    },
  });
  return {
    seen,
    async stop() {
      await subscription.stop();
      await kafka.close();
    },
  };
}

describe('a hub killed at the deadline', () => {
  it('escalates each late notification exactly once after it restarts', { timeout: 480_000 }, async () => {
    const response = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(whitlockIncident()),
    });
    expect(response.status).toBe(202);
    const { receiptId } = (await response.json()) as { receiptId: string };
    await expect
      .poll(async () => Object.values(await statuses(receiptId)), { timeout: 120_000, interval: 1_000 })
      .toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered']);

    const tick = await firstTick(hub.namespace);
    await tick.seen; // about two minutes after the incident was issued
    await hub.kill('SIGKILL');
    await tick.stop();
    await hub.start(120_000);

    await expect
      .poll(async () => Object.values(await statuses(receiptId)).filter((status) => status !== 'delivered').length, {
        timeout: 180_000,
        interval: 1_000,
      })
      .toBe(5);
    // The acknowledgement deadline may have fired too by now: count the fetch deadline's notices.
    const counts = await record.noticeCounts(await hub.jwks(), 'delivery-escalation');
    const fetch = [...counts.entries()].filter(([key]) => key.endsWith('|fetch'));
    expect(fetch.map(([, count]) => count)).toEqual([1, 1, 1, 1, 1]);
    const escalated = record.decisions.filter(
      (event) => event.action === 'notification-escalated' && event.reason === 'fetch',
    );
    expect(escalated).toHaveLength(5);
    expect(new Set(escalated.map((event) => event.notificationId)).size).toBe(5);
  });
});
