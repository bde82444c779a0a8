import { DAYS, defineTopic } from '@hub/contracts';
import { currentTraceId, withContext } from '@hub/logger';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKafkaClient, output, type InboundMessage, type KafkaClient } from './index.ts';
import { createRawKafka, FAST_CONSUMER, type RawKafka } from './testing/raw.ts';

const topicOf = <S extends z.ZodType>(name: string, schema: S) =>
  defineTopic({ name, description: 'test', schema, partitions: 1, retentionMs: DAYS, cleanupPolicy: 'delete' });
const notes = topicOf('test.notes.v1', z.object({ n: z.number().int() }).strict());
const inputs = topicOf('test.inputs.v1', z.object({ seq: z.number().int().min(0) }).strict());
const outputs = topicOf('test.outputs.v1', z.object({ seq: z.number().int(), doubled: z.number().int() }).strict());

// The multi-instance tests' own topics: four input partitions shared by instances, and one stuck partition.
const spread = defineTopic({ ...inputs, name: 'test.spread.v1', partitions: 4 });
const spreadOutputs = topicOf('test.spread-outputs.v1', outputs.schema);
const stuckInputs = topicOf('test.stuck-inputs.v1', inputs.schema);
const stuckOutputs = topicOf('test.stuck-outputs.v1', outputs.schema);
const handedInputs = topicOf('test.handed-inputs.v1', inputs.schema);
const handedOutputs = topicOf('test.handed-outputs.v1', outputs.schema);

let client: KafkaClient;
let raw: RawKafka;
const namespace = isolatedTopicNamespace();
const others: KafkaClient[] = [];

/** Another process of the same deployment: a client of its own on the same namespace. */
function anotherInstance(logger = captureLogs('kafka-transactions-other').logger, instanceName?: string): KafkaClient {
  const other = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'tx-test-other',
    logger,
    topicNamespace: namespace,
    ...(instanceName === undefined ? {} : { instanceName }),
  });
  others.push(other);
  return other;
}

beforeAll(async () => {
  const { kafkaBrokers } = testEndpoints();
  const { logger } = captureLogs('kafka-transactions-test');
  client = createKafkaClient({ brokers: kafkaBrokers, clientId: 'tx-test', logger, topicNamespace: namespace });
  await client.provisionTopics([
    notes,
    inputs,
    outputs,
    spread,
    spreadOutputs,
    stuckInputs,
    stuckOutputs,
    handedInputs,
    handedOutputs,
  ]);
  raw = await createRawKafka(kafkaBrokers, logger);
});

afterAll(async () => {
  await Promise.all(others.map((other) => other.close()));
  await client.close();
  await raw.close();
});

/** Collects an output topic's seqs (read_committed). */
async function collect(topic: typeof outputs) {
  const seen: number[] = [];
  const reader = await client.consume(topic, {
    groupId: uniqueId('outputs-reader'),
    ...FAST_CONSUMER,
    handle: (message) => {
      seen.push(message.value.seq);
      return Promise.resolve();
    },
  });
  return { seen, stop: () => reader.stop() };
}

const doubledTo = (topic: typeof outputs) => (message: InboundMessage<typeof inputs>) =>
  Promise.resolve([
    output(topic, {
      key: String(message.value.seq),
      value: { seq: message.value.seq, doubled: message.value.seq * 2 },
    }),
  ]);
const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);
const upTo = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('transactions', () => {
  it('a read_committed consumer sees committed transactions only, though the aborted one was written', async () => {
    const transactionalId = uniqueId('notes-writer');
    // publish answers where its messages went, as the committed log then shows them.
    const [wroteA] = await client.transaction(transactionalId, (tx) =>
      tx.publish(notes, [{ key: 'a', value: { n: 1 } }]),
    );
    await expect(
      client.transaction(transactionalId, async (tx) => {
        await tx.publish(notes, [{ key: 'b', value: { n: 2 } }]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const [wroteC] = await client.transaction(transactionalId, (tx) =>
      tx.publish(notes, [{ key: 'c', value: { n: 3 } }]),
    );

    const uncommitted = await raw.read([client.physicalTopic(notes)], { readUncommitted: true });
    const seen: number[] = [];
    const offsets: string[] = [];
    const subscription = await client.consume(notes, {
      groupId: uniqueId('notes-reader'),
      ...FAST_CONSUMER,
      handle: (message) => {
        seen.push(message.value.n);
        offsets.push(`${message.partition}:${message.offset}`);
        return Promise.resolve();
      },
    });
    await expect.poll(() => seen, { timeout: 20_000 }).toEqual([1, 3]);
    expect(offsets).toEqual([wroteA, wroteC].map((wrote) => `${wrote?.partition}:${wrote?.baseOffset}`));
    // The aborted message is in the log (a read_uncommitted reader sees it): the filtering is real.
    await expect
      .poll(() => uncommitted.records.map((r) => JSON.parse(r.value?.toString() ?? 'null') as unknown), {
        timeout: 10_000,
      })
      .toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await subscription.stop();
  });

  it('two instances may use the same transaction id at once when their instance names differ', async () => {
    const both = async (instances: readonly KafkaClient[], transactionalId: string) =>
      (
        await Promise.allSettled(
          instances.map((instance, n) =>
            instance.transaction(transactionalId, async (tx) => {
              await tx.publish(notes, [{ key: `${transactionalId}-${n}`, value: { n } }]);
              await new Promise((resolve) => setTimeout(resolve, 300));
            }),
          ),
        )
      ).map((result) => result.status);
    // Different names: both commit, however they interleave.
    expect(await both([client, anotherInstance(undefined, 'b')], uniqueId('named'))).toEqual([
      'fulfilled',
      'fulfilled',
    ]);
    // The same name ('main', the default): each fences the other's producer, so one fails.
    expect(await both([client, anotherInstance()], uniqueId('same-name'))).toContain('rejected');
  });

  it('processTransactionally commits outputs with offsets: across a restart, every input yields exactly one output', async () => {
    const groupId = uniqueId('doubler');
    const transactionalId = uniqueId('doubler-tx');
    const total = 30;
    const traceIds = new Map<number, string>();
    for (let seq = 0; seq < total; seq++) traceIds.set(seq, String(seq).padStart(32, 'e'));
    let invocations = 0;
    let failedOnce = false;
    // The first instance is stopped while seq 12 is in flight: that message must still finish and commit.
    let reachedTwelve: () => void = () => undefined;
    const twelveReached = new Promise<void>((resolve) => (reachedTwelve = resolve));
    let releaseTwelve: () => void = () => undefined;
    const twelveReleased = new Promise<void>((resolve) => (releaseTwelve = resolve));
    const handle = async (message: InboundMessage<typeof inputs>) => {
      invocations++;
      const { seq } = message.value;
      if (seq === 12 && invocations < total) {
        reachedTwelve();
        await twelveReleased;
      }
      // One transient handler failure: the transaction is aborted and retried, still one output.
      if (seq === 5 && !failedOnce) {
        failedOnce = true;
        throw new Error('transient');
      }
      return [output(outputs, { key: String(seq), value: { seq, doubled: seq * 2 } })];
    };

    for (let seq = 0; seq < total; seq++) {
      await withContext({ traceId: traceIds.get(seq) ?? '' }, () =>
        client.publish(inputs, [{ key: String(seq), value: { seq } }]),
      );
      // A contract violation in the middle of the stream: dead-lettered in a transaction with its offset.
      if (seq === 15) await raw.produce(client.physicalTopic(inputs), [{ key: 'bad', value: '{"seq":-1}' }]);
    }

    const seen: { seq: number; traceId: string }[] = [];
    const reader = await client.consume(outputs, {
      groupId: uniqueId('doubled-reader'),
      ...FAST_CONSUMER,
      handle: (message) => {
        seen.push({ seq: message.value.seq, traceId: currentTraceId() });
        return Promise.resolve();
      },
    });
    const dlq = await raw.read([`${client.physicalTopic(inputs)}.dlq`]);

    const options = {
      groupId,
      transactionalId,
      ...FAST_CONSUMER,
      retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
      handle,
    };
    const first = await client.processTransactionally(inputs, options);
    await twelveReached;
    const stopping = first.stop();
    releaseTwelve();
    await stopping;
    // 0..12 (13 outputs), with 5 attempted twice; nothing after 12 was started.
    expect(invocations).toBe(14);
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(13);

    const second = await client.processTransactionally(inputs, options);
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(total);
    // Give a duplicate every chance to show up before counting.
    await expect
      .poll(() => raw.committedOffsets(second.groupId, client.physicalTopic(inputs)), { timeout: 10_000 })
      .toEqual([String(total + 1)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await second.stop();

    expect(seen.map((s) => s.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(seen.every((s) => s.traceId === traceIds.get(s.seq))).toBe(true);
    expect(invocations).toBe(total + 1); // each input once, plus the one retried failure
    expect(dlq.records).toHaveLength(1);
    expect(dlq.records[0]?.headers).toMatchObject({ 'dlq-reason': 'contract-violation', 'dlq-original-offset': '16' });
    await reader.stop();
  });

  it('instances share the partitions: one output per input while instances join and leave', async () => {
    const total = 120;
    const options = { groupId: uniqueId('shared'), transactionalId: uniqueId('shared-tx'), ...FAST_CONSUMER };
    const outputsSeen = await collect(spreadOutputs);
    const doubled = doubledTo(spreadOutputs);
    const handledBy = { first: 0, second: 0 };
    const first = await client.processTransactionally(spread, {
      ...options,
      handle: (message) => (handledBy.first++, doubled(message)),
    });
    for (let seq = 0; seq < total / 2; seq++) await client.publish(spread, [{ key: String(seq), value: { seq } }]);
    await expect.poll(() => outputsSeen.seen.length, { timeout: 20_000 }).toBeGreaterThan(10);

    // A second instance joins mid-stream, the first leaves, more inputs arrive.
    const second = await anotherInstance().processTransactionally(spread, {
      ...options,
      handle: (message) => (handledBy.second++, doubled(message)),
    });
    for (let seq = total / 2; seq < total; seq++) await client.publish(spread, [{ key: String(seq), value: { seq } }]);
    await expect.poll(() => handledBy.second, { timeout: 30_000 }).toBeGreaterThan(0);
    await first.stop();
    await expect.poll(() => outputsSeen.seen.length, { timeout: 30_000 }).toBe(total);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a doubled output would show by now
    await second.stop();
    await outputsSeen.stop();

    expect(ascending(outputsSeen.seen)).toEqual(upTo(total));
    expect(handledBy.first).toBeGreaterThan(0);
  });

  it('an instance that lost its partition while stuck in a handler is fenced: its late commit never lands', async () => {
    const options = { groupId: uniqueId('zombie'), transactionalId: uniqueId('zombie-tx'), ...FAST_CONSUMER };
    const outputsSeen = await collect(stuckOutputs);
    const doubled = doubledTo(stuckOutputs);
    const publishSeqs = async (from: number, to: number) => {
      for (let seq = from; seq < to; seq++) await client.publish(stuckInputs, [{ key: String(seq), value: { seq } }]);
    };
    let stuck: () => void = () => undefined;
    const unstick = new Promise<void>((resolve) => (stuck = resolve));
    let zombieReachedFive = false;
    const zombieLogs = captureLogs('kafka-zombie');
    const zombieClient = anotherInstance(zombieLogs.logger);
    // Stops heartbeating inside the handler for seq 5, long past the session timeout (6 s).
    const zombie = await zombieClient.processTransactionally(stuckInputs, {
      ...options,
      handle: async (message) => {
        if (message.value.seq === 5 && !zombieReachedFive) {
          zombieReachedFive = true;
          await unstick;
        }
        return doubled(message);
      },
    });
    // 0-4 first, committed; then the rest, so that seq 5 opens the zombie's next batch (a batch commits together).
    await publishSeqs(0, 5);
    await expect.poll(() => outputsSeen.seen.length, { timeout: 20_000 }).toBe(5);
    await publishSeqs(5, 30);
    await expect.poll(() => zombieReachedFive, { timeout: 20_000 }).toBe(true);

    // The group moves the partition to a healthy instance, which finishes the backlog, seq 5 included.
    const healthy = await client.processTransactionally(stuckInputs, { ...options, handle: doubled });
    await expect.poll(() => outputsSeen.seen.filter((seq) => seq === 5).length, { timeout: 40_000 }).toBe(1);
    await expect.poll(() => outputsSeen.seen.length, { timeout: 20_000 }).toBe(30);

    stuck(); // the zombie wakes up and tries to commit seq 5
    await expect
      .poll(
        () =>
          zombieLogs
            .lines()
            .some((line) => line['msg'] === 'partition producer fenced by its new owner; rejoining the group'),
        {
          timeout: 20_000,
        },
      )
      .toBe(true);
    // Fenced, the zombie's consumer rejoins the group as a new member instead of stopping for good.
    await expect
      .poll(() => raw.groupState(zombie.groupId), { timeout: 40_000, interval: 500 })
      .toEqual({ state: 'Stable', members: 2 });
    expect(zombieLogs.lines().some((line) => line['msg'] === 'processor consumer crashed')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await Promise.all([zombie.stop(), healthy.stop()]);
    await outputsSeen.stop();
    expect(ascending(outputsSeen.seen)).toEqual(upTo(30));
  }, 120_000);

  it('skips inputs that the previous owner committed after this consumer had fetched its start offset', async () => {
    const logs = captureLogs('kafka-handed');
    const handed = anotherInstance(logs.logger);
    const outputsSeen = await collect(handedOutputs);
    const handledSeqs: number[] = [];
    const processor = await handed.processTransactionally(handedInputs, {
      groupId: uniqueId('handed'),
      transactionalId: uniqueId('handed-tx'),
      ...FAST_CONSUMER,
      handle: (message) => {
        handledSeqs.push(message.value.seq);
        return doubledTo(handedOutputs)(message);
      },
    });
    // The consumer has joined and taken its start offset (the topic is empty: 0) ...
    await expect
      .poll(() => raw.groupState(processor.groupId), { timeout: 20_000 })
      .toEqual({ state: 'Stable', members: 1 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // ... when the partition's previous owner commits its last transaction: inputs 0-4 were done there.
    await raw.commitOffsetInTransaction(processor.groupId, handed.physicalTopic(handedInputs), '5');
    for (let seq = 0; seq < 10; seq++) await client.publish(handedInputs, [{ key: String(seq), value: { seq } }]);

    await expect.poll(() => outputsSeen.seen.length, { timeout: 20_000 }).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await processor.stop();
    await outputsSeen.stop();
    expect(ascending(outputsSeen.seen)).toEqual([5, 6, 7, 8, 9]);
    expect(handledSeqs).toEqual([5, 6, 7, 8, 9]);
    const skipped = logs
      .lines()
      .filter((line) => line['msg'] === 'input already committed by the previous owner; skipped');
    expect(skipped.map((line) => line['offset'])).toEqual(['0', '1', '2', '3', '4']);
  });
});
