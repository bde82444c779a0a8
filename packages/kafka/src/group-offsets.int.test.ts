import { DAYS, defineTopic } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient, GroupActiveError, type KafkaClient } from './index.ts';

const notes = defineTopic({
  name: 'test.reset-notes.v1',
  description: 'test',
  schema: z.object({ n: z.int() }).strict(),
  partitions: 2,
  retentionMs: 7 * DAYS,
  cleanupPolicy: 'delete',
});

let client: KafkaClient;

beforeAll(async () => {
  const { logger } = captureLogs('kafka-reset-test');
  client = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'reset-test',
    logger,
    topicNamespace: isolatedTopicNamespace(),
  });
  await client.provisionTopics([notes]);
  await client.publish(
    notes,
    [1, 2, 3, 4].map((n) => ({ key: `k${n}`, value: { n } })),
  );
});

afterAll(async () => {
  await client.close();
});

/** Consumes until `count` values have been handled; answers them and the running subscription. */
async function consumeAll(groupId: string, count: number) {
  const seen: number[] = [];
  const subscription = await client.consume(notes, {
    groupId,
    maxWaitTimeMs: 100,
    handle: (message) => {
      seen.push(message.value.n);
      return Promise.resolve();
    },
  });
  await expect.poll(() => seen.length, { timeout: 30_000 }).toBe(count);
  await expect.poll(async () => (await client.lag(groupId, notes)).lag, { timeout: 10_000 }).toBe(0);
  return { seen, subscription };
}

describe('resetGroupToEarliest', () => {
  it('refuses while the group has members, then moves its offsets to the start: the next consumer replays all', async () => {
    const groupId = uniqueId('reset-reader');
    const first = await consumeAll(groupId, 4);
    expect(await client.groupMembers(groupId)).toBe(1);
    expect((await client.lag(groupId, notes)).progressed).toBe(true);

    const refused = client.resetGroupToEarliest(groupId, notes);
    await expect(refused).rejects.toBeInstanceOf(GroupActiveError);
    await expect(refused).rejects.toMatchObject({ members: 1 });
    // Refused means untouched.
    expect((await client.lag(groupId, notes)).lag).toBe(0);

    await first.subscription.stop();
    await expect.poll(() => client.groupMembers(groupId), { timeout: 30_000 }).toBe(0);
    expect(await client.resetGroupToEarliest(groupId, notes)).toEqual({
      partitions: [
        { partition: 0, offset: '0' },
        { partition: 1, offset: '0' },
      ],
    });
    const after = await client.lag(groupId, notes);
    expect([after.progressed, after.lag, after.partitions.map((p) => p.committed)]).toEqual([false, 4, ['0', '0']]);

    const second = await consumeAll(groupId, 4);
    expect(second.seen.sort()).toEqual([1, 2, 3, 4]);
    await second.subscription.stop();
  });

  it('answers 0 members for a group that never existed, and resets it too', async () => {
    const groupId = uniqueId('reset-never');
    expect(await client.groupMembers(groupId)).toBe(0);
    await client.resetGroupToEarliest(groupId, notes);
    expect((await client.lag(groupId, notes)).partitions.map((p) => p.committed)).toEqual(['0', '0']);
  });
});
