import { DAYS, defineTopic } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient, GroupActiveError, type KafkaClient } from './index.ts';

const notes = defineTopic({
  name: 'test.group-notes.v1',
  description: 'test',
  schema: z.object({ n: z.int() }).strict(),
  partitions: 2,
  retentionMs: 7 * DAYS,
  cleanupPolicy: 'delete',
});

let client: KafkaClient;

beforeAll(async () => {
  const { logger } = captureLogs('kafka-group-test');
  client = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'group-test',
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

describe('deleteGroup', () => {
  it('refuses while the group has members, then deletes it and its offsets', async () => {
    const groupId = uniqueId('deleted');
    const { subscription } = await consumeAll(groupId, 4);
    await expect(client.deleteGroup(groupId)).rejects.toBeInstanceOf(GroupActiveError);
    await subscription.stop();

    expect(await client.deleteGroup(groupId)).toBe(true);
    const lag = await client.lag(groupId, notes);
    expect(lag.progressed).toBe(false);
    expect(lag.partitions.map((p) => p.committed)).toEqual([null, null]);
    expect(await client.deleteGroup(groupId)).toBe(false);
  });
});

describe('deleteNamespaceTopics', () => {
  it("deletes every topic of the client's namespace and no other; refuses a client without a namespace", async () => {
    const { logger } = captureLogs('kafka-namespace-test');
    const topicNamespace = isolatedTopicNamespace();
    const doomed = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'ns-test',
      logger,
      topicNamespace,
    });
    const bare = createKafkaClient({ brokers: testEndpoints().kafkaBrokers, clientId: 'ns-test', logger });
    try {
      await doomed.provisionTopics([notes]);
      expect(await doomed.deleteNamespaceTopics()).toBe(2); // the topic and its .dlq twin
      await expect(bare.deleteNamespaceTopics()).rejects.toThrow(/needs a client with a topic namespace/);
      // The other namespace's topics are still there.
      await client.publish(notes, [{ key: 'k9', value: { n: 9 } }]);
    } finally {
      await doomed.close();
      await bare.close();
    }
  });
});
