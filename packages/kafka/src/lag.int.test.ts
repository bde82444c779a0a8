import { DAYS, defineTopic } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient, type KafkaClient } from './index.ts';

const notes = defineTopic({
  name: 'test.lag-notes.v1',
  description: 'test',
  schema: z.object({ n: z.int() }).strict(),
  partitions: 2,
  retentionMs: 7 * DAYS,
  cleanupPolicy: 'delete',
});

let client: KafkaClient;

beforeAll(async () => {
  const { logger } = captureLogs('kafka-lag-test');
  client = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'lag-test',
    logger,
    topicNamespace: isolatedTopicNamespace(),
  });
  await client.provisionTopics([notes]);
});

afterAll(async () => {
  await client.close();
});

describe('lag', () => {
  it('counts what a group has not consumed, per partition, and whether it has consumed anything', async () => {
    const groupId = uniqueId('lag-reader');
    expect(await client.lag(groupId, notes)).toEqual({
      progressed: false,
      lag: 0,
      partitions: [
        { partition: 0, committed: null, end: '0', lag: 0 },
        { partition: 1, committed: null, end: '0', lag: 0 },
      ],
    });
    // Keys chosen for neither partition in particular: the totals are what is asserted.
    await client.publish(
      notes,
      [1, 2, 3].map((n) => ({ key: `k${n}`, value: { n } })),
    );
    const before = await client.lag(groupId, notes);
    expect([before.progressed, before.lag]).toEqual([false, 3]);

    const seen: number[] = [];
    const subscription = await client.consume(notes, {
      groupId,
      maxWaitTimeMs: 100,
      handle: (message) => {
        seen.push(message.value.n);
        return Promise.resolve();
      },
    });
    try {
      await expect.poll(() => client.lag(groupId, notes), { timeout: 20_000 }).toMatchObject({ lag: 0 });
      const after = await client.lag(groupId, notes);
      expect(after.progressed).toBe(true);
      expect(after.partitions.map((p) => p.committed)).toEqual(after.partitions.map((p) => p.end));
      expect(seen.sort()).toEqual([1, 2, 3]);
    } finally {
      await subscription.stop();
    }
  });

  it('after a transaction, a consume group that read everything stands at the end: past the commit marker', async () => {
    const groupId = uniqueId('lag-tx-reader');
    const ends = async () => (await client.lag(groupId, notes)).partitions.map((p) => Number(p.end));
    const before = await ends();
    await client.transaction(uniqueId('lag-writer'), (tx) => tx.publish(notes, [{ key: 'a', value: { n: 1 } }]));
    // One record and its commit marker, on one partition.
    await expect
      .poll(async () => (await ends()).map((end, i) => end - (before[i] ?? 0)).sort(), { timeout: 10_000 })
      .toEqual([0, 2]);
    const after = await ends();
    const subscription = await client.consume(notes, { groupId, maxWaitTimeMs: 100, handle: () => Promise.resolve() });
    try {
      await expect
        .poll(async () => (await client.lag(groupId, notes)).partitions, { timeout: 20_000 })
        .toEqual(after.map((end, i) => ({ partition: i, committed: String(end), end: String(end), lag: 0 })));
    } finally {
      await subscription.stop();
    }
  });
});
