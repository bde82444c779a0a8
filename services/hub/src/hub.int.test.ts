import { serviceStarted } from '@hub/contracts';
import { createKafkaClient } from '@hub/kafka';
import { captureLogs, isolatedRedisPrefix, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHubConfig } from './config.ts';
import { createHub, type Hub } from './hub.ts';

function hubOn(overrides: Record<string, string>) {
  const endpoints = testEndpoints();
  const namespace = isolatedTopicNamespace();
  const config = loadHubConfig({
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    KAFKA_TOPIC_NAMESPACE: namespace,
    REDIS_URL: endpoints.redisUrl,
    REDIS_KEY_PREFIX: isolatedRedisPrefix(),
    HTTP_PORT: '0',
    ...overrides,
  });
  const logs = captureLogs('hub');
  return { hub: createHub({ config, logger: logs.logger }), namespace, endpoints, logs };
}

const running: Hub[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((hub) => hub.stop()));
});

describe('hub process', () => {
  it('starts on real Kafka and Redis: ready, and announces itself on its topic', async () => {
    const { hub, namespace, endpoints, logs } = hubOn({});
    running.push(hub);
    const address = await hub.start();

    const ready = await fetch(`${address.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await fetch(`${address.url}/health/live`)).status).toBe(200);

    const reader = createKafkaClient({
      brokers: endpoints.kafkaBrokers,
      clientId: 'test',
      topicNamespace: namespace,
      logger: logs.logger,
    });
    const seen: unknown[] = [];
    const subscription = await reader.consume(serviceStarted, {
      groupId: uniqueId('reader'),
      handle: (message) => {
        seen.push(message.value);
        return Promise.resolve();
      },
    });
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(1);
    expect(seen[0]).toMatchObject({ service: 'hub' });
    await subscription.stop();
    await reader.close();
  });

  it('is live but not ready while Redis does not answer, and says which dependency failed', async () => {
    const { hub } = hubOn({ REDIS_URL: 'redis://127.0.0.1:1' });
    running.push(hub);
    const address = await hub.start();

    expect((await fetch(`${address.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${address.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await ready.json()) as { code: string; detail: string };
    expect(problem.code).toBe('not-ready');
    expect(problem.detail).toContain('redis');
    expect(problem.detail).not.toContain('kafka');
  });

  it('stops cleanly and can be stopped twice', async () => {
    const { hub } = hubOn({});
    const address = await hub.start();
    await hub.stop();
    await hub.stop();
    await expect(fetch(`${address.url}/health/live`)).rejects.toThrow();
  });
});
