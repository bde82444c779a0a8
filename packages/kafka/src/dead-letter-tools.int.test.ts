import { DAYS, defineTopic } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient, output, RedriveRefusedError, type KafkaClient } from './index.ts';
import { createRawKafka, FAST_CONSUMER, type RawKafka } from './testing/raw.ts';

const topicOf = <S extends z.ZodType>(name: string, schema: S) =>
  defineTopic({ name, description: 'test', schema, partitions: 2, retentionMs: DAYS, cleanupPolicy: 'delete' });
const orders = topicOf('test.orders.v1', z.object({ seq: z.number().int().min(0) }).strict());
const shipped = topicOf('test.shipped.v1', z.object({ seq: z.number().int() }).strict());

let client: KafkaClient;
let raw: RawKafka;
const logs = captureLogs('kafka-dead-letters-test');

beforeAll(async () => {
  const { kafkaBrokers } = testEndpoints();
  client = createKafkaClient({
    brokers: kafkaBrokers,
    clientId: 'dlq-tools-test',
    logger: logs.logger,
    topicNamespace: isolatedTopicNamespace(),
  });
  await client.provisionTopics([orders, shipped]);
  raw = await createRawKafka(kafkaBrokers, logs.logger);
});

afterAll(async () => {
  // Only what beforeAll got to make: a failed start keeps its own error, not a TypeError from here.
  await (client as KafkaClient | undefined)?.close();
  await (raw as RawKafka | undefined)?.close();
});

describe('dead letters for operators', () => {
  it('lists what was dead-lettered and why, and redrives a handler failure once it is fixed: handled once', async () => {
    expect(await client.deadLetters(orders)).toEqual({ entries: [], more: false });
    expect(await client.deadLetterDepth(orders)).toBe(0);

    // Seq 3's handler fails on every attempt (a bug, an outage) until `fixed`; a contract violation beside it.
    let fixed = false;
    const handled: number[] = [];
    const processor = await client.processTransactionally(orders, {
      groupId: uniqueId('shipper'),
      transactionalId: uniqueId('shipper-tx'),
      ...FAST_CONSUMER,
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
      handle: (message) => {
        if (message.value.seq === 3 && !fixed) return Promise.reject(new Error('downstream unavailable'));
        handled.push(message.value.seq);
        return Promise.resolve([
          output(shipped, { key: String(message.value.seq), value: { seq: message.value.seq } }),
        ]);
      },
    });
    for (let seq = 0; seq < 5; seq++) await client.publish(orders, [{ key: 'one-key', value: { seq } }]);
    await raw.produce(client.physicalTopic(orders), [{ key: 'one-key', value: '{"seq":-1}' }]);
    const seen: number[] = [];
    const reader = await client.consume(shipped, {
      groupId: uniqueId('shipped-reader'),
      ...FAST_CONSUMER,
      handle: (message) => {
        seen.push(message.value.seq);
        return Promise.resolve();
      },
    });
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(4);

    let listed = await client.deadLetters(orders);
    await expect
      .poll(async () => (listed = await client.deadLetters(orders)).entries.length, { timeout: 20_000 })
      .toBe(2);
    const [failed, violation] = listed.entries;
    expect(failed).toMatchObject({
      reason: 'handler-failed',
      original: { topic: client.physicalTopic(orders), offset: '3' },
    });
    expect(violation).toMatchObject({ reason: 'contract-violation', original: { offset: '5' } });
    // Two dead letters, each with at most one transaction marker: what /metrics reports as not empty.
    expect(await client.deadLetterDepth(orders)).toBeGreaterThanOrEqual(2);
    expect(await client.deadLetterDepth(orders)).toBeLessThanOrEqual(4);
    expect(await client.deadLetterDepth(shipped)).toBe(0);
    // Coordinates and reasons only: the value of the record is not in the listing.
    expect(JSON.stringify(listed)).not.toContain('"seq"');

    await expect(client.redrive(orders, violation!)).rejects.toBeInstanceOf(RedriveRefusedError);
    await expect(client.redrive(orders, { partition: failed!.partition, offset: '999' })).rejects.toThrow(
      'no dead letter at partition',
    );

    fixed = true;
    expect(await client.redrive(orders, failed!)).toEqual(failed);
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await Promise.all([processor.stop(), reader.stop()]);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(handled.filter((seq) => seq === 3)).toEqual([3]);
  });
});
