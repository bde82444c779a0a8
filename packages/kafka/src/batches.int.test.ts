import { DAYS, defineTopic, type StageStep } from '@hub/contracts';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  bindStage,
  createKafkaClient,
  LIMITS,
  NotYetError,
  output,
  startStep,
  type InboundMessage,
  type KafkaClient,
  type Subscription,
  type TransactionalOptions,
} from './index.ts';
import { createRawKafka, FAST_CONSUMER, type RawKafka, type RawRecord } from './testing/raw.ts';

// Fetched batches: a stage commits a batch in one transaction, a projector in one offset commit. Every topic here has
// one partition, so a transaction's commit marker takes the offset after its last output: the runs of consecutive
// output offsets are the transactions.
const inputSchema = z.object({ seq: z.number().int().min(0) }).strict();
const outputSchema = z.object({ seq: z.number().int().min(0), padding: z.string().max(100_000) }).strict();
const topicOf = <S extends z.ZodType>(name: string, schema: S) =>
  defineTopic({ name, description: 'test', schema, partitions: 1, retentionMs: DAYS, cleanupPolicy: 'delete' });
const pair = (name: string) => ({
  inputs: topicOf(`test.batch-${name}-in.v1`, inputSchema),
  outputs: topicOf(`test.batch-${name}-out.v1`, outputSchema),
});
const many = pair('many');
const poison = pair('poison');
const crash = pair('crash');
const large = pair('large');
const tooLarge = pair('too-large');
const waiting = pair('waiting');
const projected = pair('projected');
const replayed = pair('replayed');

const namespace = isolatedTopicNamespace();
let client: KafkaClient;
let raw: RawKafka;
let logs: ReturnType<typeof captureLogs>;
const others: KafkaClient[] = [];

beforeAll(async () => {
  const { kafkaBrokers } = testEndpoints();
  logs = captureLogs('kafka-batches-test');
  client = createKafkaClient({
    brokers: kafkaBrokers,
    clientId: 'batches-test',
    logger: logs.logger,
    topicNamespace: namespace,
  });
  await client.provisionTopics(
    [many, poison, crash, large, tooLarge, waiting, projected, replayed].flatMap(({ inputs, outputs }) => [
      inputs,
      outputs,
    ]),
  );
  raw = await createRawKafka(kafkaBrokers, logs.logger);
});

afterAll(async () => {
  await Promise.all(others.map((other) => other.close()));
  await client.close();
  await raw.close();
});

type Pair = ReturnType<typeof pair>;
const upTo = (count: number) => Array.from({ length: count }, (_, i) => i);
const seqOf = (record: RawRecord) => (JSON.parse(record.value?.toString() ?? 'null') as { seq: number }).seq;
const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);
/** Time for a record (or handler call) that should not happen to show up before its absence is asserted. */
const settle = (ms = 1_000) => new Promise((resolve) => setTimeout(resolve, ms));

/** The runs of consecutive offsets in a one-partition topic: one per transaction that wrote it. */
function transactions(records: readonly RawRecord[]): number[][] {
  const runs: number[][] = [];
  for (const offset of records.map((record) => Number(record.offset)).sort((a, b) => a - b)) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1) === offset - 1) run.push(offset);
    else runs.push([offset]);
  }
  return runs;
}

/** All inputs in one produce request, so that one fetch brings them all. */
const publishSeqs = (topic: Pair['inputs'], seqs: readonly number[]) =>
  client.publish(
    topic,
    seqs.map((seq) => ({ key: String(seq), value: { seq } })),
  );

const stageOptions = (
  topics: Pair,
  handle: TransactionalOptions<Pair['inputs']>['handle'],
): TransactionalOptions<Pair['inputs']> => ({
  groupId: uniqueId('batch-stage'),
  transactionalId: uniqueId('batch-stage-tx'),
  ...FAST_CONSUMER,
  retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
  handle,
});

const echo =
  (topics: Pair, padding = '') =>
  (message: InboundMessage<Pair['inputs']>) =>
    Promise.resolve([
      output(topics.outputs, { key: String(message.value.seq), value: { seq: message.value.seq, padding } }),
    ]);

describe('a stage commits a fetched batch in one transaction', () => {
  it('commits a batch of many inputs in one transaction, with the offset after its last input', async () => {
    const total = 200;
    await publishSeqs(many.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(many.outputs)]);
    const processor = await client.processTransactionally(many.inputs, stageOptions(many, echo(many)));
    await expect.poll(() => seen.records.length, { timeout: 30_000 }).toBe(total);
    await expect
      .poll(() => raw.committedOffsets(processor.groupId, client.physicalTopic(many.inputs)), { timeout: 10_000 })
      .toEqual([String(total)]);
    await settle();
    await processor.stop();
    expect(ascending(seen.records.map(seqOf))).toEqual(upTo(total));
    // One transaction: 200 outputs at offsets 0-199, its commit marker at 200 (one per input would leave 199 gaps).
    expect(transactions(seen.records)).toEqual([upTo(total)]);
  });

  it('dead-letters a poison input alone: its batch-mates are handled once and their outputs appear once', async () => {
    const total = 21;
    const calls = new Map<number, number>();
    await publishSeqs(poison.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(poison.outputs)]);
    const dlq = await raw.read([`${client.physicalTopic(poison.inputs)}.dlq`]);
    const processor = await client.processTransactionally(
      poison.inputs,
      stageOptions(poison, (message) => {
        const { seq } = message.value;
        calls.set(seq, (calls.get(seq) ?? 0) + 1);
        return seq === 10 ? Promise.reject(new Error('poison')) : echo(poison)(message);
      }),
    );
    await expect.poll(() => seen.records.length, { timeout: 30_000 }).toBe(total - 1);
    await expect.poll(() => dlq.records.length, { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => raw.committedOffsets(processor.groupId, client.physicalTopic(poison.inputs)), { timeout: 10_000 })
      .toEqual([String(total)]);
    await settle();
    await processor.stop();

    expect(ascending(seen.records.map(seqOf))).toEqual(upTo(total).filter((seq) => seq !== 10));
    expect(dlq.records[0]?.headers).toMatchObject({ 'dlq-reason': 'handler-failed', 'dlq-original-offset': '10' });
    // The poison input had its three attempts, alone; nothing else was handled twice.
    expect(Object.fromEntries(calls)).toEqual(Object.fromEntries(upTo(total).map((seq) => [seq, seq === 10 ? 3 : 1])));
    // 0-9 were committed before 10 was retried; its dead letter went with 11-20, the batch's second transaction.
    expect(transactions(seen.records)).toEqual([upTo(10), upTo(10).map((n) => n + 11)]);
  });

  it("a crash mid-batch: the partition's next owner handles the whole batch again, every output appears once", async () => {
    const total = 30;
    await publishSeqs(crash.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(crash.outputs)]);
    const options = stageOptions(crash, echo(crash));
    const handledBy = { crashed: [] as number[], next: [] as number[] };
    let wake: () => void = () => undefined;
    const asleep = new Promise<void>((resolve) => (wake = resolve));
    // The first instance stops dead in the middle of its batch (no heartbeat, no commit), as a crashed process.
    const crashedLogs = captureLogs('kafka-batches-crashed');
    const crashedClient = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'batches-crashed',
      logger: crashedLogs.logger,
      topicNamespace: namespace,
    });
    others.push(crashedClient);
    const crashed = await crashedClient.processTransactionally(crash.inputs, {
      ...options,
      handle: async (message) => {
        handledBy.crashed.push(message.value.seq);
        if (message.value.seq === 15) await asleep;
        return options.handle(message);
      },
    });
    await expect.poll(() => handledBy.crashed.length, { timeout: 20_000 }).toBe(16);

    const next = await client.processTransactionally(crash.inputs, {
      ...options,
      handle: (message) => {
        handledBy.next.push(message.value.seq);
        return options.handle(message);
      },
    });
    await expect.poll(() => seen.records.length, { timeout: 40_000 }).toBe(total);
    // The crashed instance comes back to life: it lost the partition, and its producer was fenced by the next owner,
    // so its commit of the batch (at the latest when its heartbeat tells it of the rebalance) never lands.
    wake();
    await expect
      .poll(
        () =>
          crashedLogs
            .lines()
            .some((line) => line['msg'] === 'partition producer fenced by its new owner; rejoining the group'),
        { timeout: 20_000 },
      )
      .toBe(true);
    await settle();
    await Promise.all([crashed.stop(), next.stop()]);

    expect(handledBy.crashed.slice(0, 16)).toEqual(upTo(16));
    expect(handledBy.next).toEqual(upTo(total));
    expect(ascending(seen.records.map(seqOf))).toEqual(upTo(total));
    expect(seen.records).toHaveLength(total);
  }, 90_000);

  it('splits a batch whose outputs exceed the size limit into several transactions', async () => {
    const total = 30;
    const padding = 'x'.repeat(60_000); // 30 outputs of 60 kB: 1.8 MB, about two transactions' worth
    await publishSeqs(large.inputs, upTo(total));
    const seen = await raw.read([client.physicalTopic(large.outputs)]);
    const processor = await client.processTransactionally(large.inputs, stageOptions(large, echo(large, padding)));
    await expect.poll(() => seen.records.length, { timeout: 30_000 }).toBe(total);
    await settle();
    await processor.stop();

    expect(ascending(seen.records.map(seqOf))).toEqual(upTo(total));
    const runs = transactions(seen.records);
    const perTransaction = Math.floor(LIMITS.maxTransactionBytes / 60_100);
    expect(runs.map((run) => run.length)).toEqual([perTransaction, total - perTransaction]);
    for (const run of runs) {
      const bytes = seen.records.filter((record) => run.includes(Number(record.offset)));
      expect(bytes.reduce((sum, record) => sum + (record.value?.length ?? 0), 0)).toBeLessThan(
        LIMITS.maxTransactionBytes,
      );
    }
  });

  it('a transaction refused for what it writes is aborted; its inputs are committed one by one, the culprit dead-lettered', async () => {
    // The output topic takes record batches of at most 10 kB: the batch's transaction, holding seq 5's 30 kB output,
    // is refused as a whole.
    await raw.replaceTopicConfig(client.physicalTopic(tooLarge.outputs), { 'max.message.bytes': '10000' });
    await publishSeqs(tooLarge.inputs, upTo(10));
    const seen = await raw.read([client.physicalTopic(tooLarge.outputs)]);
    const dlq = await raw.read([`${client.physicalTopic(tooLarge.inputs)}.dlq`]);
    const processor = await client.processTransactionally(
      tooLarge.inputs,
      stageOptions(tooLarge, (message) => echo(tooLarge, message.value.seq === 5 ? 'x'.repeat(30_000) : '')(message)),
    );
    await expect.poll(() => dlq.records.length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => seen.records.length, { timeout: 20_000 }).toBe(9);
    await expect
      .poll(() => raw.committedOffsets(processor.groupId, client.physicalTopic(tooLarge.inputs)), { timeout: 10_000 })
      .toEqual(['10']);
    await settle();
    await processor.stop();

    expect(ascending(seen.records.map(seqOf))).toEqual(upTo(10).filter((seq) => seq !== 5));
    expect(dlq.records[0]?.headers).toMatchObject({ 'dlq-reason': 'handler-failed', 'dlq-original-offset': '5' });
    // One transaction per input after the refusal.
    expect(transactions(seen.records)).toHaveLength(9);
  });

  it('an input that must wait (NotYetError) holds the rest of its batch: nothing after it is committed until it clears', async () => {
    let ready = false;
    const calls: number[] = [];
    await publishSeqs(waiting.inputs, upTo(10));
    const seen = await raw.read([client.physicalTopic(waiting.outputs)]);
    const processor = await client.processTransactionally(
      waiting.inputs,
      stageOptions(waiting, (message) => {
        calls.push(message.value.seq);
        if (message.value.seq === 4 && !ready) return Promise.reject(new NotYetError('view rebuilding'));
        return echo(waiting)(message);
      }),
    );
    const physicalInputs = client.physicalTopic(waiting.inputs);
    await expect.poll(() => seen.records.length, { timeout: 20_000 }).toBe(4);
    await expect
      .poll(() => raw.committedOffsets(processor.groupId, physicalInputs), { timeout: 10_000 })
      .toEqual(['4']);
    await expect.poll(() => calls.filter((seq) => seq === 4).length, { timeout: 10_000 }).toBeGreaterThan(2);
    expect(calls.some((seq) => seq > 4)).toBe(false); // still waiting, more than the retry policy's 3 attempts
    expect(seen.records).toHaveLength(4);

    ready = true;
    await expect.poll(() => seen.records.length, { timeout: 20_000 }).toBe(10);
    await expect
      .poll(() => raw.committedOffsets(processor.groupId, physicalInputs), { timeout: 10_000 })
      .toEqual(['10']);
    await processor.stop();
    expect(ascending(seen.records.map(seqOf))).toEqual(upTo(10));
    expect(calls.filter((seq) => seq !== 4)).toEqual(upTo(10).filter((seq) => seq !== 4));
  });
});

describe('a projector commits a fetched batch once', () => {
  it('commits a batch of many messages with one offset commit; a waiting message holds the rest, uncommitted', async () => {
    const groupId = uniqueId('batch-projector');
    const physicalGroup = `${namespace}${groupId}`;
    const physicalInputs = client.physicalTopic(projected.inputs);
    const commits = () =>
      logs.lines().filter((line) => line['msg'] === 'offsets committed' && line['topic'] === projected.inputs.name);
    const applied: number[] = [];
    let ready = true;
    const subscription = await client.consume(projected.inputs, {
      groupId,
      ...FAST_CONSUMER,
      handle: (message) => {
        if (message.value.seq === 250 && !ready) return Promise.reject(new NotYetError('view rebuilding'));
        applied.push(message.value.seq);
        return Promise.resolve();
      },
    });
    await publishSeqs(projected.inputs, upTo(200));
    await expect.poll(() => raw.committedOffsets(physicalGroup, physicalInputs), { timeout: 20_000 }).toEqual(['200']);
    expect(applied).toEqual(upTo(200));
    expect(commits().map((line) => line['messages'])).toEqual([200]);

    ready = false;
    await publishSeqs(
      projected.inputs,
      upTo(100).map((n) => n + 200),
    );
    await expect.poll(() => raw.committedOffsets(physicalGroup, physicalInputs), { timeout: 20_000 }).toEqual(['250']);
    await settle(1_500); // the waiting message is tried every second; nothing after it is applied or committed
    expect(applied.at(-1)).toBe(249);
    expect(await raw.committedOffsets(physicalGroup, physicalInputs)).toEqual(['250']);

    ready = true;
    await expect.poll(() => raw.committedOffsets(physicalGroup, physicalInputs), { timeout: 20_000 }).toEqual(['300']);
    await subscription.stop();
    expect(applied).toEqual(upTo(300));
    expect(commits().map((line) => line['messages'])).toEqual([200, 50, 50]);
  });
});

describe('replay', () => {
  it("skips what cannot be handled instead of dead-lettering it again, a stage's outputs discarded", async () => {
    const stage = {
      kind: 'stage',
      service: 'hub',
      description: 'Test stage: replayed inputs -> outputs.',
      groupId: uniqueId('batch-replayed'),
      transactionalId: uniqueId('batch-replayed-tx'),
      input: replayed.inputs,
      outputs: [replayed.outputs],
    } as const satisfies StageStep;
    const handled: number[] = [];
    const binding = bindStage(stage, {
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
      handle: (message) => {
        if (message.value.seq === 3) return Promise.reject(new Error('poison'));
        handled.push(message.value.seq);
        return echo(replayed)(message);
      },
    });
    await publishSeqs(replayed.inputs, upTo(8));
    const seen = await raw.read([client.physicalTopic(replayed.outputs)], { readUncommitted: true });
    const dlq = await raw.read([`${client.physicalTopic(replayed.inputs)}.dlq`]);
    const groupId = uniqueId('batch-replay');
    const replay: Subscription = await startStep(client, binding, { groupId, replay: true });
    await expect
      .poll(() => raw.committedOffsets(`${namespace}${groupId}`, client.physicalTopic(replayed.inputs)), {
        timeout: 20_000,
      })
      .toEqual(['8']);
    await settle();
    await replay.stop();
    expect(handled).toEqual(upTo(8).filter((seq) => seq !== 3));
    expect(dlq.records).toHaveLength(0);
    expect(seen.records).toHaveLength(0);
    const skipped = logs
      .lines()
      .filter((line) => line['msg'] === 'replay: message skipped (dead-lettered when first handled)');
    expect(skipped.map((line) => line['offset'])).toEqual(['3']);
  });
});
