import { createServer } from 'node:net';
import { once } from 'node:events';
import { cpPlanRefusedTopic, STEPS, type CpPlanRefused } from '@hub/contracts';
import { bindStage, NotYetError } from '@hub/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineService } from './service.ts';
import { startRouteHarness, type RouteHarness } from './testing.ts';

/*
 * Issue 12's "a paused stage shows growing lag": a stage whose handler waits (NotYetError, as a step gated on a view
 * that is not ready does) commits nothing, and its group's lag on /metrics grows with what arrives.
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
  h = await startRouteHarness({
    service: 'child-protection',
    clients: [],
    services: [paused],
    env: { METRICS_PORT: String(port) },
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
    expect(text).not.toContain(NHS_NUMBER);
    expect(text).not.toContain('CP-LAG');
  });
});
