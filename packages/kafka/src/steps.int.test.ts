import { DAYS, defineTopic, type RequestStep, type StageStep } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  bindStage,
  createKafkaClient,
  output,
  requestPublish,
  requestTransaction,
  startStep,
  UndeclaredOutputError,
  type KafkaClient,
} from './index.ts';
import { createRawKafka, FAST_CONSUMER, type RawKafka, type RawRecord } from './testing/raw.ts';

// The test's own steps and topics (never the hub's STEPS): each step declares `declared` and not `undeclared`.
const topicOf = (name: string) =>
  defineTopic({
    name,
    description: 'test',
    schema: z.object({ seq: z.number().int().min(0) }).strict(),
    partitions: 1,
    retentionMs: DAYS,
    cleanupPolicy: 'delete',
  });
const inputs = topicOf('test.step-inputs.v1');
const declared = topicOf('test.step-declared.v1');
const undeclared = topicOf('test.step-undeclared.v1');
const replayed = topicOf('test.step-replayed.v1');

const stage = {
  kind: 'stage',
  service: 'hub',
  description: 'Test stage: inputs -> declared.',
  groupId: uniqueId('step-stage'),
  transactionalId: uniqueId('step-stage-tx'),
  input: inputs,
  outputs: [declared],
} as const satisfies StageStep;

const request: RequestStep = {
  kind: 'request',
  service: 'hub',
  description: 'Test request step: writes declared.',
  transactionalId: uniqueId('step-request-tx'),
  operations: [],
  outputs: [declared],
};

let client: KafkaClient;
let raw: RawKafka;
const namespace = isolatedTopicNamespace();

beforeAll(async () => {
  const { kafkaBrokers } = testEndpoints();
  const { logger } = captureLogs('kafka-steps-test');
  client = createKafkaClient({ brokers: kafkaBrokers, clientId: 'steps-test', logger, topicNamespace: namespace });
  await client.provisionTopics([inputs, declared, undeclared, replayed]);
  raw = await createRawKafka(kafkaBrokers, logger);
});

afterAll(async () => {
  await client.close();
  await raw.close();
});

const seqs = (records: readonly RawRecord[]) =>
  records.map((record) => (JSON.parse(record.value?.toString() ?? 'null') as { seq: number }).seq);
/** Time for a record that should not be there to show up before its absence is asserted. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

describe('steps refuse an output they do not declare', () => {
  it('a stage whose handler returns an undeclared output is dead-lettered and writes nothing; declared ones go through', async () => {
    // Readers from the start: the declared topic as consumers see it, the undeclared one even uncommitted.
    const declaredSeen = await raw.read([client.physicalTopic(declared)]);
    const undeclaredSeen = await raw.read([client.physicalTopic(undeclared)], { readUncommitted: true });
    const dlq = await raw.read([`${client.physicalTopic(inputs)}.dlq`]);
    const handled: number[] = [];
    const subscription = await startStep(
      client,
      bindStage(stage, {
        retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
        tuning: FAST_CONSUMER,
        handle: (message) => {
          const { seq } = message.value;
          handled.push(seq);
          const mine = output(declared, { key: String(seq), value: { seq } });
          // seq 1 also writes a topic the step does not declare: the whole input is refused, its declared output too.
          return Promise.resolve(seq === 1 ? [mine, output(undeclared, { key: String(seq), value: { seq } })] : [mine]);
        },
      }),
    );
    for (const seq of [0, 1, 2]) await client.publish(inputs, [{ key: String(seq), value: { seq } }]);

    await expect.poll(() => dlq.records.length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => seqs(declaredSeen.records), { timeout: 20_000 }).toEqual([0, 2]);
    await expect
      .poll(() => raw.committedOffsets(`${namespace}${stage.groupId}`, client.physicalTopic(inputs)), {
        timeout: 10_000,
      })
      .toEqual(['3']);
    await settle();
    await subscription.stop();

    expect(handled).toEqual([0, 1, 1, 2]); // seq 1 tried twice (the policy's attempts), then dead-lettered
    const [letter] = dlq.records;
    expect(letter?.key?.toString()).toBe('1');
    expect(letter?.headers).toMatchObject({ 'dlq-reason': 'handler-failed', 'dlq-original-offset': '1' });
    expect(JSON.parse(letter?.headers['dlq-detail'] ?? '')).toEqual({
      error: { name: 'UndeclaredOutputError' },
      attempts: 2,
    });
    expect(seqs(declaredSeen.records)).toEqual([0, 2]);
    expect(undeclaredSeen.records).toEqual([]);
  });

  it('a request transaction that publishes an undeclared topic rejects and publishes nothing, not even its declared outputs', async () => {
    const declaredSeen = await raw.read([client.physicalTopic(declared)]);
    const undeclaredSeen = await raw.read([client.physicalTopic(undeclared)], { readUncommitted: true });
    const before = seqs(declaredSeen.records);

    await expect(
      requestTransaction(client, request, async (tx) => {
        await tx.publish(declared, [{ key: '10', value: { seq: 10 } }]);
        await tx.publish(undeclared, [{ key: '10', value: { seq: 10 } }]);
      }),
    ).rejects.toThrow(
      new UndeclaredOutputError(
        `step ${request.transactionalId} of hub does not declare test.step-undeclared.v1 as an output`,
      ),
    );
    // The same id's next transaction, declared only, goes through (the refused one was aborted, not left open).
    await requestTransaction(client, request, (tx) => tx.publish(declared, [{ key: '11', value: { seq: 11 } }]));

    await expect.poll(() => seqs(declaredSeen.records), { timeout: 20_000 }).toEqual([...before, 11]);
    await settle();
    expect(seqs(declaredSeen.records)).toEqual([...before, 11]);
    expect(undeclaredSeen.records).toEqual([]);
  });

  it("a request step's lone publish of an undeclared topic rejects and sends nothing; a declared one is sent", async () => {
    const declaredSeen = await raw.read([client.physicalTopic(declared)]);
    const undeclaredSeen = await raw.read([client.physicalTopic(undeclared)], { readUncommitted: true });
    const before = seqs(declaredSeen.records);
    const lone: RequestStep = { ...request, transactionalId: null };

    await expect(requestPublish(client, lone, undeclared, [{ key: '20', value: { seq: 20 } }])).rejects.toThrow(
      UndeclaredOutputError,
    );
    await requestPublish(client, lone, declared, [{ key: '21', value: { seq: 21 } }]);

    await expect.poll(() => seqs(declaredSeen.records), { timeout: 20_000 }).toEqual([...before, 21]);
    await settle();
    expect(undeclaredSeen.records).toEqual([]);
    // A lone step has no transaction to run its writes in.
    await expect(requestTransaction(client, lone, () => Promise.resolve())).rejects.toThrow(TypeError);
  });
});

describe("a stage's replay (a view's rebuild)", () => {
  const replayStage = { ...stage, groupId: uniqueId('step-replay'), input: replayed } as const satisfies StageStep;

  it('hands each fetched batch to replayBatch at once, in order, and never runs handle', async () => {
    const seqsIn = Array.from({ length: 50 }, (_, seq) => seq);
    await client.publish(
      replayed,
      seqsIn.map((seq) => ({ key: String(seq), value: { seq } })),
    );
    const batches: number[][] = [];
    const handled: number[] = [];
    const subscription = await startStep(
      client,
      bindStage(replayStage, {
        tuning: FAST_CONSUMER,
        handle: (message) => {
          handled.push(message.value.seq);
          return Promise.resolve([]);
        },
        replayBatch: (messages) => {
          batches.push(messages.map((message) => message.value.seq));
          return Promise.resolve();
        },
      }),
      { groupId: uniqueId('step-replay-build'), replay: true },
    );
    try {
      await expect.poll(() => batches.flat(), { timeout: 20_000 }).toEqual(seqsIn);
    } finally {
      await subscription.stop();
    }
    // Published together, so fetched in a few batches, not one call per input.
    expect(batches.length).toBeLessThan(seqsIn.length / 5);
    expect(handled).toEqual([]);
  });

  it('a batch replayBatch fails is replayed input by input with handle', async () => {
    const groupId = uniqueId('step-replay-failed');
    const handled: number[] = [];
    const subscription = await startStep(
      client,
      bindStage(replayStage, {
        retry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 20 },
        tuning: FAST_CONSUMER,
        handle: (message) => {
          handled.push(message.value.seq);
          return Promise.resolve([]);
        },
        replayBatch: () => Promise.reject(new Error('the view refused the batch')),
      }),
      { groupId, replay: true },
    );
    try {
      await expect.poll(() => handled, { timeout: 20_000 }).toEqual(Array.from({ length: 50 }, (_, seq) => seq));
    } finally {
      await subscription.stop();
    }
  });
});
