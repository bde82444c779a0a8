import { DAYS, defineTopic } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient, NotYetError, type InboundMessage, type KafkaClient } from './index.ts';
import { createRawKafka, FAST_CONSUMER, type RawKafka } from './testing/raw.ts';

// A batch projector (ConsumeOptions.handleBatch, bindBatchProjector): a fetched batch of one partition handed over at
// once, as one database transaction would take it, then committed. "Applied" below is what a transaction would keep:
// a call's records count only when the call resolves.
const schema = z.object({ seq: z.number().int().min(0) }).strict();
const topicOf = (name: string) =>
  defineTopic({ name, description: 'test', schema, partitions: 1, retentionMs: DAYS, cleanupPolicy: 'delete' });
const whole = topicOf('test.batch-projector-whole.v1');
const poison = topicOf('test.batch-projector-poison.v1');
const waiting = topicOf('test.batch-projector-waiting.v1');
type Topic = typeof whole;

const namespace = isolatedTopicNamespace();
let client: KafkaClient;
let raw: RawKafka;
const logs = captureLogs('kafka-batch-projector-test');

beforeAll(async () => {
  const { kafkaBrokers } = testEndpoints();
  client = createKafkaClient({
    brokers: kafkaBrokers,
    clientId: 'batch-projector-test',
    logger: logs.logger,
    topicNamespace: namespace,
  });
  await client.provisionTopics([whole, poison, waiting]);
  raw = await createRawKafka(kafkaBrokers, logs.logger);
});

afterAll(async () => {
  await client.close();
  await raw.close();
});

const upTo = (count: number) => Array.from({ length: count }, (_, i) => i);
const publish = (topic: Topic, seqs: readonly number[]) =>
  client.publish(
    topic,
    seqs.map((seq) => ({ key: String(seq), value: { seq } })),
  );
const seqs = (messages: readonly InboundMessage<Topic>[]) => messages.map((message) => message.value.seq);

describe('a batch projector', () => {
  it('gets a fetched batch at once, in order, every record once, committed together', async () => {
    await publish(whole, upTo(300));
    const calls: number[][] = [];
    const groupId = uniqueId('batch-whole');
    const subscription = await client.consume(whole, {
      groupId,
      ...FAST_CONSUMER,
      handle: () => Promise.reject(new Error('never record by record')),
      handleBatch: (messages) => {
        calls.push(seqs(messages));
        return Promise.resolve();
      },
    });
    await expect
      .poll(() => raw.committedOffsets(`${namespace}${groupId}`, client.physicalTopic(whole)), { timeout: 20_000 })
      .toEqual(['300']);
    await subscription.stop();
    expect(calls.flat()).toEqual(upTo(300));
    // Published in one request, fetched in few batches: far fewer calls than records.
    expect(calls.length).toBeLessThan(10);
  });

  it('handles a failed batch record by record: the poison record dead-lettered alone, its batch-mates once', async () => {
    await publish(poison, upTo(20));
    const applied: number[] = [];
    const dlq = await raw.read([`${client.physicalTopic(poison)}.dlq`]);
    const groupId = uniqueId('batch-poison');
    const apply = (messages: readonly InboundMessage<Topic>[]) => {
      // One transaction: all or nothing.
      if (seqs(messages).includes(7)) return Promise.reject(new Error('poison'));
      applied.push(...seqs(messages));
      return Promise.resolve();
    };
    const subscription = await client.consume(poison, {
      groupId,
      ...FAST_CONSUMER,
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
      handle: (message) => apply([message]),
      handleBatch: apply,
    });
    await expect
      .poll(() => raw.committedOffsets(`${namespace}${groupId}`, client.physicalTopic(poison)), { timeout: 20_000 })
      .toEqual(['20']);
    await subscription.stop();
    expect(applied).toEqual(upTo(20).filter((seq) => seq !== 7));
    expect(dlq.records.map((record) => JSON.parse(record.value?.toString() ?? 'null') as unknown)).toEqual([
      { seq: 7 },
    ]);
    expect(logs.text()).toContain('batch failed; handling it record by record');
  });

  it('waits on NotYetError without committing, then applies the batch once', async () => {
    await publish(waiting, upTo(50));
    let ready = false;
    const applied: number[] = [];
    const groupId = uniqueId('batch-waiting');
    const offsets = () => raw.committedOffsets(`${namespace}${groupId}`, client.physicalTopic(waiting));
    const subscription = await client.consume(waiting, {
      groupId,
      ...FAST_CONSUMER,
      handle: () => Promise.reject(new Error('never record by record')),
      handleBatch: (messages) => {
        if (!ready) return Promise.reject(new NotYetError('view rebuilding'));
        applied.push(...seqs(messages));
        return Promise.resolve();
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(applied).toEqual([]);
    expect((await offsets()).filter((offset) => offset !== '-1')).toEqual([]);
    ready = true;
    await expect.poll(offsets, { timeout: 20_000 }).toEqual(['50']);
    await subscription.stop();
    expect(applied).toEqual(upTo(50));
  });
});
