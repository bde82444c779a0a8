import { createServer } from 'node:net';
import { once } from 'node:events';
import { cpPlanRefusedTopic, STEPS, type CpPlanRefused } from '@hub/contracts';
import { bindStage, NotYetError } from '@hub/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineService, type ServiceReadings } from './service.ts';
import { startRouteHarness, type RouteHarness } from './testing.ts';

/*
 * Issue 12's "a paused stage shows growing lag": a stage whose handler waits (NotYetError, as a step gated on a view
 * that is not ready does) commits nothing, and its group's lag on /metrics grows with what arrives. And the readings a
 * service reports at each scrape (deadline states, the audit log) become their series, a failed or slow reading
 * leaving the last values.
 */

const GROUP = STEPS.refusalNotifier.groupId;
const NHS_NUMBER = '9991002057';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

function refusal(n: number): CpPlanRefused {
  return {
    refusalId: `cpr_${n.toString(16).padStart(32, '0')}`,
    localAuthority: 'E06000066',
    planId: `CP-LAG-${n}`,
    nhsNumber: NHS_NUMBER,
    reason: 'inactive-record',
    refusedAt: '2026-11-20T10:00:00Z',
    recordedBy: { clientId: 'somerset-client', role: 'local-authority', organisation: 'E06000066' },
  };
}

/** The clock of the test's services: checkpoint ages are measured on it. */
const NOW = new Date('2026-11-21T12:00:00Z');
/** What the reporting service answers at the next scrape: readings, a failure, or a hang. */
let next: ServiceReadings | 'fail' | 'hang' = {};

let h: RouteHarness;
let metricsUrl: string;
beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const paused = () =>
    defineService({
      name: 'child-protection',
      steps: [
        bindStage(STEPS.refusalNotifier, { handle: () => Promise.reject(new NotYetError('paused by the test')) }),
      ],
    });
  const reporting = () =>
    defineService({
      name: 'deadlines',
      readings: () =>
        next === 'fail'
          ? Promise.reject(new Error('store down'))
          : next === 'hang'
            ? new Promise<ServiceReadings>(() => undefined)
            : Promise.resolve(next),
    });
  h = await startRouteHarness({
    service: 'child-protection',
    clients: [],
    services: [paused, reporting],
    env: { METRICS_PORT: String(port) },
    now: () => NOW,
  });
});
afterAll(async () => {
  await h.close();
});

/** The group's lag summed over its partitions, as /metrics says (undefined before the first poll). */
async function scrapedLag(): Promise<{ lag: number | undefined; text: string }> {
  const text = await (await fetch(metricsUrl)).text();
  const lines = text.split('\n').filter((line) => line.startsWith(`hub_kafka_consumer_lag{group="${GROUP}",`));
  const lag = lines.length === 0 ? undefined : lines.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  return { lag, text };
}

const publish = (from: number, count: number) =>
  h.deps.kafka.publish(
    cpPlanRefusedTopic,
    Array.from({ length: count }, (_, i) => ({ key: `E06000066:CP-LAG-${from + i}`, value: refusal(from + i) })),
  );

describe('consumer lag on /metrics', () => {
  it('grows while a stage is paused, one series per partition, with nothing of the records in it', async () => {
    await publish(1, 3);
    await expect.poll(async () => (await scrapedLag()).lag, { timeout: 30_000, interval: 500 }).toBe(3);
    await publish(4, 4);
    await expect.poll(async () => (await scrapedLag()).lag, { timeout: 30_000, interval: 500 }).toBe(7);
    const { text } = await scrapedLag();
    const partitions = text
      .split('\n')
      .filter((line) => line.startsWith(`hub_kafka_consumer_lag{group="${GROUP}",`))
      .map((line) => /partition="(\d+)"/.exec(line)?.[1]);
    expect(partitions.sort()).toEqual(
      Array.from({ length: cpPlanRefusedTopic.partitions }, (_, p) => String(p)).sort(),
    );
    // Nothing committed: no offset series for the group, and nothing dead-lettered.
    expect(text).not.toContain(`hub_kafka_consumer_committed_offset{group="${GROUP}"`);
    expect(text).toContain(`hub_dead_letter_records{topic="${cpPlanRefusedTopic.name}"} 0`);
    expect(text).not.toContain(NHS_NUMBER);
    expect(text).not.toContain('CP-LAG');
  });
});

describe("services' readings on /metrics", () => {
  const scrape = async () => {
    const started = performance.now();
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    return { text: await response.text(), ms: performance.now() - started };
  };
  const value = (text: string, series: string) =>
    text
      .split('\n')
      .find((line) => line.startsWith(`${series} `))
      ?.split(' ')
      .at(-1);

  it('shows notifications by deadline state and the audit log size, checkpoint and its age', async () => {
    next = {
      notifications: { overdue: 3, escalated: 2, notDelivered: 1 },
      auditLog: {
        leaves: 1200,
        checkpoint: { leaves: 1180, signedAt: new Date(NOW.getTime() - 90_000) },
        checkpointMismatches: 0,
      },
    };
    const { text } = await scrape();
    expect(value(text, 'hub_notifications{notification_state="overdue"}')).toBe('3');
    expect(value(text, 'hub_notifications{notification_state="escalated"}')).toBe('2');
    expect(value(text, 'hub_notifications{notification_state="not-delivered"}')).toBe('1');
    expect(value(text, 'hub_audit_log_leaves')).toBe('1200');
    expect(value(text, 'hub_audit_log_checkpoint_leaves')).toBe('1180');
    expect(value(text, 'hub_audit_log_checkpoint_age_seconds')).toBe('90');
    expect(value(text, 'hub_audit_log_checkpoint_mismatches')).toBe('0');
  });

  it('keeps the last values, and counts the failure, when a reading fails or does not answer within a second', async () => {
    next = 'fail';
    const failed = await scrape();
    expect(value(failed.text, 'hub_notifications{notification_state="overdue"}')).toBe('3');
    expect(value(failed.text, 'hub_metrics_reading_failures_total')).toBe('1');
    next = 'hang';
    const hung = await scrape();
    expect(hung.ms).toBeLessThan(5_000);
    expect(value(hung.text, 'hub_audit_log_leaves')).toBe('1200');
    expect(value(hung.text, 'hub_metrics_reading_failures_total')).toBe('2');
    next = { auditLog: { leaves: 1201, checkpoint: undefined, checkpointMismatches: 1 } };
    const after = await scrape();
    expect(value(after.text, 'hub_audit_log_leaves')).toBe('1201');
    expect(value(after.text, 'hub_audit_log_checkpoint_mismatches')).toBe('1');
    // No checkpoint: no age, rather than an age of zero.
    expect(value(after.text, 'hub_audit_log_checkpoint_age_seconds')).toBeUndefined();
  });
});
