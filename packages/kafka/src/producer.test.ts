import { defineTopic, DAYS } from '@hub/contracts';
import { DependencyUnavailableError } from '@hub/errors';
import { captureLogs } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ClientCore } from './client.ts';
import { ContractViolationError } from './outbound.ts';
import { publish } from './producer.ts';
import { createTopicNamer } from './topic-names.ts';

const topic = defineTopic({
  name: 'test.published.v1',
  description: 'test',
  schema: z.object({ ref: z.string().min(1) }),
  partitions: 1,
  retentionMs: DAYS,
  cleanupPolicy: 'delete',
});

/** A client core whose shared send throws `failure` (only what publish touches). */
function coreFailingWith(failure: Error) {
  const logs = captureLogs();
  const core = {
    names: createTopicNamer(),
    logger: logs.logger,
    send: () => Promise.reject(failure),
  } as unknown as ClientCore;
  return { core, logs };
}

describe('publish', () => {
  it('answers a kafkajs error as Kafka unavailable, keeping it as the cause', async () => {
    const lost = Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });
    const { core, logs } = coreFailingWith(lost);
    const failed = await publish(core, topic, [{ key: 'k', value: { ref: 'r' } }]).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(DependencyUnavailableError);
    expect((failed as DependencyUnavailableError).cause).toBe(lost);
    expect(logs.lines().filter((line) => line['level'] === 'warn')).toEqual([]);
  });

  it('answers an error kafkajs does not name as its own as Kafka unavailable too, and logs its name only', async () => {
    const bug = new TypeError("Cannot read properties of null (reading 'broker 10.0.0.7:9092')");
    const { core, logs } = coreFailingWith(bug);
    const failed = await publish(core, topic, [{ key: 'k', value: { ref: 'r' } }]).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(DependencyUnavailableError);
    const warned = logs.lines().filter((line) => line['level'] === 'warn');
    expect(warned.map((line) => line['errorName'])).toEqual(['TypeError']);
    expect(logs.text()).not.toContain('10.0.0.7');
  });

  it('throws a contract violation as it is, before Kafka is touched', async () => {
    const { core } = coreFailingWith(new Error('never sent'));
    const failed = await publish(core, topic, [{ key: 'k', value: { ref: '' } }]).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ContractViolationError);
  });
});
