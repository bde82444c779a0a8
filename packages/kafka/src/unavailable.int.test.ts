import { DAYS, defineTopic } from '@hub/contracts';
import { DependencyUnavailableError, HubError } from '@hub/errors';
import { captureLogs, isolatedTopicNamespace, parseHostPort, startTcpProxy, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractViolationError, createKafkaClient, type KafkaClient } from './index.ts';
import type { TcpProxy } from '@hub/testkit';

const notes = defineTopic({
  name: 'test.unavailable-notes.v1',
  description: 'test',
  schema: z.object({ n: z.number().int() }).strict(),
  partitions: 1,
  retentionMs: DAYS,
  cleanupPolicy: 'delete',
});

let proxy: TcpProxy;
let client: KafkaClient;

beforeAll(async () => {
  // Every broker connection (bootstrap and advertised) goes through the proxy, so cutting it cuts Kafka off.
  proxy = await startTcpProxy(parseHostPort(testEndpoints().kafkaBrokers[0] ?? ''));
  client = createKafkaClient({
    brokers: [`127.0.0.1:${proxy.port}`],
    clientId: 'unavailable-test',
    logger: captureLogs('kafka-unavailable').logger,
    topicNamespace: isolatedTopicNamespace(),
    requestDeadlineMs: 3_000,
    resolveBroker: () => ({ host: '127.0.0.1', port: proxy.port }),
  });
  await client.provisionTopics([notes]);
});

afterAll(async () => {
  proxy.restore();
  await client.close();
  await proxy.close();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

describe('request-side Kafka calls while the broker cannot be reached', () => {
  it('reject publish and transaction with DependencyUnavailableError(kafka) within the deadline', async () => {
    await client.publish(notes, [{ key: 'k', value: { n: 1 } }]);
    await client.transaction('unavailable-tx', (tx) => tx.publish(notes, [{ key: 'k', value: { n: 2 } }]));
    proxy.cut();
    const started = Date.now();
    const published = await failure(client.publish(notes, [{ key: 'k', value: { n: 3 } }]));
    const transacted = await failure(
      client.transaction('unavailable-tx', (tx) => tx.publish(notes, [{ key: 'k', value: { n: 4 } }])),
    );
    for (const error of [published, transacted]) {
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).toMatchObject({ dependency: 'kafka' });
    }
    expect(Date.now() - started).toBeLessThan(2 * 3_000 + 1_000);
  });

  it("passes the work's own errors through unchanged", async () => {
    proxy.cut();
    const invalid = await failure(client.publish(notes, [{ key: 'k', value: { n: 'x' } as unknown as { n: number } }]));
    expect(invalid).toBeInstanceOf(ContractViolationError);
    const own = new HubError('conflict', 'already');
    proxy.restore();
    expect(await failure(client.transaction('unavailable-own', () => Promise.reject(own)))).toBe(own);
  });
});

describe('request-side Kafka calls on a closed client', () => {
  it('reject publish and transaction with DependencyUnavailableError(kafka), so a stopping process answers 503', async () => {
    const closed = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'unavailable-closed',
      logger: captureLogs('kafka-closed').logger,
      topicNamespace: isolatedTopicNamespace(),
    });
    await closed.close();
    let ran = false;
    const published = await failure(closed.publish(notes, [{ key: 'k', value: { n: 5 } }]));
    const transacted = await failure(
      closed.transaction('closed-tx', () => {
        ran = true;
        return Promise.resolve();
      }),
    );
    for (const error of [published, transacted]) {
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).toMatchObject({ dependency: 'kafka' });
    }
    expect(ran).toBe(false);
  });
});
