import { DAYS, defineTopic } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient } from './index.ts';
import { FAST_CONSUMER } from './testing/raw.ts';

const topic = defineTopic({
  name: 'test.close.v1',
  description: 'test',
  schema: z.object({ ref: z.string() }).strict(),
  partitions: 1,
  retentionMs: DAYS,
  cleanupPolicy: 'delete',
});

describe('KafkaClient.close', () => {
  it('stillClosing() names what a close under way waits for (its consumer groups first), and nothing once closed', async () => {
    const client = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'close-test',
      logger: captureLogs('kafka-close-test').logger,
      topicNamespace: isolatedTopicNamespace(),
    });
    try {
      await client.provisionTopics([topic]);
      await client.publish(topic, [{ key: 'k', value: { ref: 'r' } }]);
      const subscription = await client.consume(topic, {
        groupId: uniqueId('close'),
        ...FAST_CONSUMER,
        handle: () => Promise.resolve(),
      });
      expect(client.stillClosing()).toEqual([]);
      const closing = client.close();
      // The consumers are stopped first; the producer and admin are disconnected after them.
      expect(client.stillClosing()).toEqual([`group ${subscription.groupId}`]);
      await closing;
      expect(client.stillClosing()).toEqual([]);
    } finally {
      await client.close();
    }
  }, 60_000);
});
