import { DAYS, defineTopic, FOREVER } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient, InsufficientBrokersError, type KafkaClient } from './index.ts';
import { createRawKafka, type RawKafka } from './testing/raw.ts';

const events = defineTopic({
  name: 'test.events.v1',
  description: 'test',
  schema: z.object({}),
  partitions: 3,
  retentionMs: 7 * DAYS,
  cleanupPolicy: 'delete',
});
const latest = defineTopic({
  name: 'test.latest.v1',
  description: 'test',
  schema: z.object({}),
  partitions: 1,
  retentionMs: FOREVER,
  cleanupPolicy: 'compact',
});

let client: KafkaClient;
let raw: RawKafka;
let brokers: string[];

beforeAll(async () => {
  brokers = testEndpoints().kafkaBrokers;
  const { logger } = captureLogs('kafka-admin-test');
  client = createKafkaClient({ brokers, clientId: 'admin-test', logger, topicNamespace: isolatedTopicNamespace() });
  raw = await createRawKafka(brokers, logger);
});

afterAll(async () => {
  await client.close();
  await raw.close();
});

describe('provisionTopics', () => {
  it('creates each topic and its .dlq twin with partitions, retention and cleanup policy; again is a no-op', async () => {
    const names = [events, latest].flatMap((t) => [client.physicalTopic(t), `${client.physicalTopic(t)}.dlq`]);
    expect(await client.provisionTopics([events, latest])).toEqual({ created: names, altered: [], unchanged: [] });
    expect(await client.provisionTopics([events, latest])).toEqual({ created: [], altered: [], unchanged: names });

    for (const [spec, name] of [
      [events, names[0]],
      [events, names[1]],
      [latest, names[2]],
      [latest, names[3]],
    ] as const) {
      const config = await raw.topicConfig(name ?? '');
      expect([name, config['retention.ms'], config['cleanup.policy'], config['min.insync.replicas']]).toEqual([
        name,
        String(spec.retentionMs),
        spec.cleanupPolicy,
        '1',
      ]);
      expect(await raw.partitionCount(name ?? '')).toBe(spec.partitions);
    }
  });

  it('aligns a drifted config on an existing topic, keeping settings it does not own', async () => {
    await client.provisionTopics([events]);
    const name = client.physicalTopic(events);
    await raw.replaceTopicConfig(name, {
      'retention.ms': '60000',
      'cleanup.policy': 'compact',
      'max.message.bytes': '500000',
    });

    const report = await client.provisionTopics([events]);
    expect(report).toEqual({ created: [], altered: [name], unchanged: [`${name}.dlq`] });
    const config = await raw.topicConfig(name);
    expect([config['retention.ms'], config['cleanup.policy'], config['max.message.bytes']]).toEqual([
      String(7 * DAYS),
      'delete',
      '500000',
    ]);
  });
});

describe('durability profiles', () => {
  it('refuses the production profile on a single broker, naming the numbers, and creates nothing', async () => {
    const namespace = isolatedTopicNamespace();
    const { logger, lines } = captureLogs('kafka-admin-test-production');
    const production = createKafkaClient({
      brokers,
      clientId: 'admin-production',
      logger,
      topicNamespace: namespace,
      durability: 'production',
    });
    try {
      const refused = production.provisionTopics([events, latest]);
      await expect(refused).rejects.toBeInstanceOf(InsufficientBrokersError);
      await expect(refused).rejects.toMatchObject({ profile: 'production', replicationFactor: 3, brokers: 1 });
      await expect(refused).rejects.toThrow(
        /production durability profile needs at least 3 brokers.*the cluster has 1\./,
      );
      expect(lines().filter((line) => line['msg'] === 'topics created')).toEqual([]);
    } finally {
      await production.close();
    }

    // Nothing of the namespace exists: the local profile now creates all four (never "unchanged").
    const local = createKafkaClient({ brokers, clientId: 'admin-local', logger, topicNamespace: namespace });
    try {
      const report = await local.provisionTopics([events, latest]);
      expect([report.created.length, report.unchanged, report.altered]).toEqual([4, [], []]);
    } finally {
      await local.close();
    }
  });
});

describe('readiness and lifecycle', () => {
  it('pings a live cluster, and answers false (not an exception) for a dead one', async () => {
    expect(await client.ping()).toBe(true);
    await client.waitUntilReady(5_000);

    const { logger } = captureLogs('kafka-admin-test-dead');
    const dead = createKafkaClient({ brokers: ['127.0.0.1:1'], clientId: 'dead', logger, connectionTimeoutMs: 200 });
    expect(await dead.ping(500)).toBe(false);
    await expect(dead.waitUntilReady(700)).rejects.toThrow('Kafka was not ready within 700 ms');
    await dead.close();
  });

  it('closes twice without error and refuses work afterwards', async () => {
    const { logger } = captureLogs('kafka-admin-test-close');
    const other = createKafkaClient({ brokers, clientId: 'closer', logger });
    await other.provisionTopics([events]);
    await other.publish(events, [{ key: 'k', value: {} }]);
    await Promise.all([other.close(), other.close()]);
    await other.close();
    expect(await other.ping()).toBe(false);
    // A request-side write on a closed client is Kafka unavailable to that request (503 not-ready), saying why.
    await expect(other.publish(events, [{ key: 'k', value: {} }])).rejects.toMatchObject({
      name: 'DependencyUnavailableError',
      dependency: 'kafka',
      cause: { message: 'the Kafka client is closed' },
    });
    await expect(other.consume(events, { groupId: 'g', handle: () => Promise.resolve() })).rejects.toThrow('closed');
  });
});
