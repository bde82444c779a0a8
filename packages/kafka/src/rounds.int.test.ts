import { DAYS, defineTopic, type StageStep } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  bindStage,
  createKafkaClient,
  output,
  startStep,
  type InboundMessage,
  type KafkaClient,
  type Output,
  type TransactionalOptions,
} from './index.ts';
import { createRawKafka, FAST_CONSUMER, type RawKafka, type RawRecord } from './testing/raw.ts';

// A stage's `prepareRound`: called with a round's inputs before any is handled, its handler used for them. Every
// topic has one partition and each test publishes its inputs in one request, so one fetch brings them all.
const schema = z.object({ seq: z.number().int().min(0), by: z.string().max(100_000) }).strict();
const topicOf = (name: string) =>
  defineTopic({ name, description: 'test', schema, partitions: 1, retentionMs: DAYS, cleanupPolicy: 'delete' });
const pair = (name: string) => ({
  inputs: topicOf(`test.round-${name}-in.v1`),
  outputs: topicOf(`test.round-${name}-out.v1`),
});
type Pair = ReturnType<typeof pair>;
const many = pair('many');
const poison = pair('poison');
const failing = pair('failing');
const refused = pair('refused');
const undeclared = pair('undeclared');

const namespace = isolatedTopicNamespace();
let client: KafkaClient;
let raw: RawKafka;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  const { kafkaBrokers } = testEndpoints();
  logs = captureLogs('kafka-rounds-test');
  client = createKafkaClient({
    brokers: kafkaBrokers,
    clientId: 'rounds-test',
    logger: logs.logger,
    topicNamespace: namespace,
  });
  await client.provisionTopics(
    [many, poison, failing, refused, undeclared].flatMap(({ inputs, outputs }) => [inputs, outputs]),
  );
  raw = await createRawKafka(kafkaBrokers, logs.logger);
});

afterAll(async () => {
  await client.close();
  await raw.close();
});

const upTo = (count: number) => Array.from({ length: count }, (_, i) => i);
const valueOf = (record: RawRecord) => JSON.parse(record.value?.toString() ?? 'null') as { seq: number; by: string };
const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);
/** Time for a record (or handler call) that should not happen to show up before its absence is asserted. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

const publishSeqs = (topic: Pair['inputs'], seqs: readonly number[]) =>
  client.publish(
    topic,
    seqs.map((seq) => ({ key: String(seq), value: { seq, by: '' } })),
  );

/**
 * What a stage did: the inputs of each `prepareRound` call, and each handler call in order (`round <n>` for the
 * handler of the n-th round, `handle` for the stage's own). Outputs say which handler made them (`by`).
 */
function recorder(topics: Pair, fails: (seq: number, by: string) => string | undefined = () => undefined) {
  const rounds: number[][] = [];
  const calls: { readonly seq: number; readonly by: string }[] = [];
  const handler =
    (by: string) =>
    (message: InboundMessage<Pair['inputs']>): Promise<readonly Output[]> => {
      const { seq } = message.value;
      calls.push({ seq, by });
      const failure = fails(seq, by);
      if (failure !== undefined) return Promise.reject(new Error(failure));
      return Promise.resolve([output(topics.outputs, { key: String(seq), value: { seq, by } })]);
    };
  const options = (
    prepareRound: (messages: readonly InboundMessage<Pair['inputs']>[]) => Promise<string> = () =>
      Promise.resolve(`round ${rounds.length}`),
  ): TransactionalOptions<Pair['inputs']> => ({
    groupId: uniqueId('round-stage'),
    transactionalId: uniqueId('round-stage-tx'),
    ...FAST_CONSUMER,
    retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
    handle: handler('handle'),
    prepareRound: async (messages) => {
      rounds.push(messages.map((message) => message.value.seq));
      return handler(await prepareRound(messages));
    },
  });
  return { rounds, calls, options };
}

describe("a stage's rounds are prepared at once", () => {
  it('prepares a batch once with all its inputs, in order, and handles each with the round handler once', async () => {
    const total = 200;
    const stage = recorder(many);
    await publishSeqs(many.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(many.outputs)]);
    const processor = await client.processTransactionally(many.inputs, stage.options());
    await expect.poll(() => seen.records.length, { timeout: 30_000 }).toBe(total);
    await settle();
    await processor.stop();

    expect(stage.rounds).toEqual([upTo(total)]);
    expect(stage.calls).toEqual(upTo(total).map((seq) => ({ seq, by: 'round 1' })));
    expect(ascending(seen.records.map((record) => valueOf(record).seq))).toEqual(upTo(total));
    expect(new Set(seen.records.map((record) => valueOf(record).by))).toEqual(new Set(['round 1']));
  });

  it('an input its round handler fails is retried alone and dead-lettered alone; its batch-mates are handled once', async () => {
    const total = 21;
    const stage = recorder(poison, (seq) => (seq === 10 ? 'poison' : undefined));
    await publishSeqs(poison.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(poison.outputs)]);
    const dlq = await raw.read([`${client.physicalTopic(poison.inputs)}.dlq`]);
    const processor = await client.processTransactionally(poison.inputs, stage.options());
    await expect.poll(() => seen.records.length, { timeout: 30_000 }).toBe(total - 1);
    await expect.poll(() => dlq.records.length, { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => raw.committedOffsets(processor.groupId, client.physicalTopic(poison.inputs)), { timeout: 10_000 })
      .toEqual([String(total)]);
    await settle();
    await processor.stop();

    // 0-9 committed first; then a round from the poison input on, where it is retried alone (its first try was in
    // round 1: three attempts in all), then dead-lettered with the inputs after it, each handled once.
    expect(stage.rounds).toEqual([upTo(total), upTo(total).slice(10)]);
    expect(stage.calls).toEqual([
      ...upTo(11).map((seq) => ({ seq, by: 'round 1' })),
      ...[10, 10, ...upTo(total).slice(11)].map((seq) => ({ seq, by: 'round 2' })),
    ]);
    expect(dlq.records[0]?.headers).toMatchObject({ 'dlq-reason': 'handler-failed', 'dlq-original-offset': '10' });
    const outputs = seen.records.map(valueOf);
    expect(ascending(outputs.map(({ seq }) => seq))).toEqual(upTo(total).filter((seq) => seq !== 10));
    expect(outputs.filter(({ seq }) => seq > 10).every(({ by }) => by === 'round 2')).toBe(true);
  });

  it('a round whose preparation fails is handled input by input with `handle`, each once', async () => {
    const total = 20;
    const stage = recorder(failing);
    await publishSeqs(failing.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(failing.outputs)]);
    const processor = await client.processTransactionally(
      failing.inputs,
      stage.options(() => Promise.reject(new Error('view unavailable'))),
    );
    await expect.poll(() => seen.records.length, { timeout: 30_000 }).toBe(total);
    await settle();
    await processor.stop();

    expect(stage.rounds).toEqual([upTo(total)]);
    expect(stage.calls).toEqual(upTo(total).map((seq) => ({ seq, by: 'handle' })));
    expect(ascending(seen.records.map((record) => valueOf(record).seq))).toEqual(upTo(total));
    expect(logs.lines().some((line) => line['msg'] === 'round preparation failed; handling its inputs alone')).toBe(
      true,
    );
  });

  it('a round handled again after its transaction is aborted is prepared again; every output appears once', async () => {
    // The output topic takes record batches of at most 10 kB: the round's transaction, holding seq 5's 30 kB
    // output, is refused and aborted; its inputs are then committed one per transaction, each round prepared anew.
    await raw.replaceTopicConfig(client.physicalTopic(refused.outputs), { 'max.message.bytes': '10000' });
    const total = 10;
    const stage = recorder(refused);
    const options = stage.options();
    await publishSeqs(refused.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(refused.outputs)]);
    const dlq = await raw.read([`${client.physicalTopic(refused.inputs)}.dlq`]);
    const processor = await client.processTransactionally(refused.inputs, {
      ...options,
      prepareRound: async (messages) => {
        const handle = await options.prepareRound!(messages);
        return async (message) =>
          message.value.seq === 5
            ? [output(refused.outputs, { key: '5', value: { seq: 5, by: 'x'.repeat(30_000) } })]
            : handle(message);
      },
    });
    await expect.poll(() => dlq.records.length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => seen.records.length, { timeout: 20_000 }).toBe(total - 1);
    await settle();
    await processor.stop();

    const [first, ...again] = stage.rounds;
    expect(first).toEqual(upTo(total));
    // Each input handled again in a round of its own: prepared with it alone (seq 5 once per attempt).
    expect(again.every((round) => round.length === 1)).toBe(true);
    expect([...new Set(again.flat())]).toEqual(upTo(total));
    expect(ascending(seen.records.map((record) => valueOf(record).seq))).toEqual(
      upTo(total).filter((seq) => seq !== 5),
    );
    for (const record of seen.records) expect(valueOf(record).by).toMatch(/^round \d+$/);
  });

  it("a bound stage's round handler is held to the step's declared outputs", async () => {
    const step = {
      kind: 'stage',
      service: 'hub',
      description: 'Test stage: inputs -> outputs.',
      groupId: uniqueId('round-step'),
      transactionalId: uniqueId('round-step-tx'),
      input: undeclared.inputs,
      outputs: [undeclared.outputs],
    } as const satisfies StageStep;
    const dlq = await raw.read([`${client.physicalTopic(undeclared.inputs)}.dlq`]);
    const seen = await raw.read([client.physicalTopic(undeclared.outputs)]);
    const subscription = await startStep(
      client,
      bindStage(step, {
        retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
        tuning: FAST_CONSUMER,
        handle: () => Promise.reject(new Error('the round handler should be used')),
        // seq 1 also writes its input topic, which the step does not declare.
        prepareRound: () =>
          Promise.resolve(({ value: { seq } }) =>
            Promise.resolve([
              output(undeclared.outputs, { key: String(seq), value: { seq, by: 'round' } }),
              ...(seq === 1 ? [output(undeclared.inputs, { key: '1', value: { seq, by: 'round' } })] : []),
            ]),
          ),
      }),
    );
    await publishSeqs(undeclared.inputs, upTo(3));
    await expect.poll(() => dlq.records.length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => seen.records.length, { timeout: 20_000 }).toBe(2);
    await settle();
    await subscription.stop();

    expect(dlq.records[0]?.headers['dlq-detail']).toContain('UndeclaredOutputError');
    expect(seen.records.map((record) => valueOf(record).seq)).toEqual([0, 2]);
  });
});
