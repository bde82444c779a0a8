import { DAYS, defineTopic, type MessageOf } from '@hub/contracts';
import { currentTraceId, withContext } from '@hub/logger';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractViolationError, createKafkaClient, type InboundMessage, type KafkaClient } from './index.ts';
import { createRawKafka, FAST_CONSUMER, type RawKafka, type RawReader } from './testing/raw.ts';

// A contract with a personal-data field, so tests can prove that data never leaves the message.
const schema = z.object({ ref: z.string().min(1), nhsNumber: z.string().regex(/^\d{10}$/) }).strict();
const topicNamed = (name: string) =>
  defineTopic({ name, description: 'test', schema, partitions: 1, retentionMs: DAYS, cleanupPolicy: 'delete' });
const roundTrip = topicNamed('test.round-trip.v1');
const contract = topicNamed('test.contract.v1');
const retried = topicNamed('test.retried.v1');
const noDeadLetterTopic = topicNamed('test.no-dlq.v1');
const abortedTail = topicNamed('test.aborted-tail.v1');
const fetchedTail = topicNamed('test.fetched-tail.v1');
const sideBySide = defineTopic({
  name: 'test.side-by-side.v1',
  description: 'test',
  schema,
  partitions: 3,
  retentionMs: DAYS,
  cleanupPolicy: 'delete',
});
type Flag = MessageOf<typeof roundTrip>;

const NHS = '9434765919';
const PERSONAL = 'Alexandra-Smithson';

let client: KafkaClient;
let raw: RawKafka;
let deadLetters: RawReader;
let logs: ReturnType<typeof captureLogs>;
let namespace: string;

beforeAll(async () => {
  const { kafkaBrokers } = testEndpoints();
  namespace = isolatedTopicNamespace();
  logs = captureLogs('kafka-consumer-test');
  client = createKafkaClient({
    brokers: kafkaBrokers,
    clientId: 'consumer-test',
    logger: logs.logger,
    topicNamespace: namespace,
  });
  await client.provisionTopics([roundTrip, contract, retried, sideBySide, abortedTail, fetchedTail]);
  raw = await createRawKafka(kafkaBrokers, logs.logger);
  deadLetters = await raw.read([contract, retried].map((t) => `${client.physicalTopic(t)}.dlq`));
});

afterAll(async () => {
  await client.close();
  await raw.close();
  // Whatever else happened, no personal value reached a log line.
  expect(logs.text()).not.toContain(PERSONAL);
});

const dlqOf = (topicName: string) => deadLetters.records.filter((r) => r.topic === `${namespace}${topicName}.dlq`);

describe('publish and consume', () => {
  it('replays the partitions side by side, each in order', async () => {
    // The first record handled waits for a record of another partition to be handled: consumed one partition at a
    // time, none is until it gives up.
    const seen: { partition: number; offset: number }[] = [];
    let first: number | undefined;
    let otherHandled!: () => void;
    const other = new Promise<'released'>((resolve) => {
      otherHandled = () => {
        resolve('released');
      };
    });
    let firstWaited: 'released' | 'gave up' | undefined;
    const subscription = await client.consume(sideBySide, {
      groupId: uniqueId('side-by-side'),
      ...FAST_CONSUMER,
      replay: true,
      handle: async (message) => {
        if (first === undefined) {
          first = message.partition;
          firstWaited = await Promise.race([
            other,
            new Promise<'gave up'>((resolve) =>
              setTimeout(() => {
                resolve('gave up');
              }, 10_000),
            ),
          ]);
        } else if (message.partition !== first) {
          otherHandled();
        }
        seen.push({ partition: message.partition, offset: Number(message.offset) });
      },
    });
    try {
      const count = 30; // keys spread over the three partitions
      await client.publish(
        sideBySide,
        Array.from({ length: count }, (_, n) => ({ key: `k${n}`, value: { ref: `r${n}`, nhsNumber: NHS } })),
      );
      await expect.poll(() => seen.length, { timeout: 30_000 }).toBe(count);
      expect(firstWaited).toBe('released');
      for (const partition of [0, 1, 2]) {
        const offsets = seen.filter((entry) => entry.partition === partition).map(({ offset }) => offset);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      }
    } finally {
      await subscription.stop();
    }
  });

  it('commits past a tail of aborted records and markers once it has handled everything: its lag reaches 0', async () => {
    // kafkajs hands a fetched batch of aborted records and markers only to no eachBatch (it commits it with autoCommit,
    // which consume does not use): the group stood behind such a tail for good.
    const groupId = uniqueId('aborted-tail');
    const seen: string[] = [];
    const subscription = await client.consume(abortedTail, {
      groupId,
      ...FAST_CONSUMER,
      handle: (message) => {
        seen.push(message.value.ref);
        return Promise.resolve();
      },
    });
    try {
      const writer = uniqueId('aborted-tail-writer');
      await client.transaction(writer, (tx) =>
        tx.publish(abortedTail, [{ key: 'k', value: { ref: 'kept', nhsNumber: NHS } }]),
      );
      await expect.poll(() => seen, { timeout: 20_000 }).toEqual(['kept']);
      await expect
        .poll(async () => (await client.lag(groupId, abortedTail)).partitions.map((p) => p.committed), {
          timeout: 10_000,
        })
        .toEqual(['2']);
      // A transaction of several records aborted on the same partition: records 2-4 and the abort marker, 5.
      const gone = ['gone-1', 'gone-2', 'gone-3'].map((ref) => ({ key: 'k', value: { ref, nhsNumber: NHS } }));
      await expect(
        client.transaction(writer, async (tx) => {
          await tx.publish(abortedTail, gone);
          throw new Error('aborted on purpose');
        }),
      ).rejects.toThrow('aborted on purpose');
      await expect
        .poll(async () => (await client.lag(groupId, abortedTail)).partitions.map((p) => p.end), { timeout: 10_000 })
        .toEqual(['6']);
      await expect.poll(async () => (await client.lag(groupId, abortedTail)).lag, { timeout: 5_000 }).toBe(0);
      expect(seen).toEqual(['kept']);
    } finally {
      await subscription.stop();
    }
  });

  it('commits past the markers and aborted records fetched after its last record: its lag reaches 0', async () => {
    // Written before the group starts, the record, its commit marker, the aborted records and their marker come in
    // one fetch: the group stood behind everything after its record.
    const writer = uniqueId('fetched-tail-writer');
    await client.transaction(writer, (tx) =>
      tx.publish(fetchedTail, [{ key: 'k', value: { ref: 'kept', nhsNumber: NHS } }]),
    );
    const gone = ['gone-1', 'gone-2', 'gone-3'].map((ref) => ({ key: 'k', value: { ref, nhsNumber: NHS } }));
    await expect(
      client.transaction(writer, async (tx) => {
        await tx.publish(fetchedTail, gone);
        throw new Error('aborted on purpose');
      }),
    ).rejects.toThrow('aborted on purpose');
    const groupId = uniqueId('fetched-tail');
    await expect
      .poll(async () => (await client.lag(groupId, fetchedTail)).partitions.map((p) => p.end), { timeout: 10_000 })
      .toEqual(['6']);
    const seen: string[] = [];
    const subscription = await client.consume(fetchedTail, {
      groupId,
      ...FAST_CONSUMER,
      handle: (message) => {
        seen.push(message.value.ref);
        return Promise.resolve();
      },
    });
    try {
      await expect.poll(() => seen, { timeout: 20_000 }).toEqual(['kept']);
      await expect.poll(async () => (await client.lag(groupId, fetchedTail)).lag, { timeout: 5_000 }).toBe(0);
      expect(seen).toEqual(['kept']);
    } finally {
      await subscription.stop();
    }
  });

  it('round-trips a typed value, carrying the trace id into the handler and its log context', async () => {
    const seen: { message: InboundMessage<typeof roundTrip>; contextTraceId: string }[] = [];
    const subscription = await client.consume(roundTrip, {
      groupId: uniqueId('round-trip'),
      ...FAST_CONSUMER,
      handle: (message) => {
        seen.push({ message, contextTraceId: currentTraceId() });
        return Promise.resolve();
      },
    });

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const value: Flag = { ref: 'inc-1', nhsNumber: NHS };
    await withContext({ traceId }, () =>
      client.publish(roundTrip, [{ key: 'k1', value, headers: { 'x-origin': 'police' } }]),
    );
    // One invalid message spoils the whole batch: nothing of it is sent.
    await expect(
      client.publish(roundTrip, [
        { key: 'never-1', value: { ref: 'inc-2', nhsNumber: NHS } },
        { key: 'never-2', value: { ref: 'inc-3', nhsNumber: PERSONAL } },
      ]),
    ).rejects.toThrow(ContractViolationError);
    await client.publish(roundTrip, [{ key: 'sentinel', value: { ref: 'inc-4', nhsNumber: NHS } }]);

    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(2);
    const [first, second] = seen;
    expect(first?.message).toEqual({
      key: 'k1',
      value,
      headers: {
        'x-origin': 'police',
        traceparent: expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`)) as unknown,
        'content-type': 'application/json',
        schema: 'test.round-trip.v1',
      },
      topic: 'test.round-trip.v1',
      partition: 0,
      offset: '0',
    });
    expect(first?.contextTraceId).toBe(traceId);
    expect(second?.message.key).toBe('sentinel');
    expect(second?.message.offset).toBe('1');
    // Published outside any context: a trace of its own, carried into its handler's log context.
    expect(second?.contextTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(second?.contextTraceId).not.toBe(traceId);
    expect(second?.message.headers['traceparent']).toContain(`-${second?.contextTraceId ?? ''}-`);
    await subscription.stop();
    await subscription.stop();
  });
});

describe('dead-lettering', () => {
  it('sends contract violations and undecodable bytes to <topic>.dlq with coordinates, naming the field but not the value', async () => {
    const groupId = uniqueId('contract');
    const handled: string[] = [];
    const subscription = await client.consume(contract, {
      groupId,
      ...FAST_CONSUMER,
      handle: (message) => {
        handled.push(message.value.ref);
        return Promise.resolve();
      },
    });
    const physical = client.physicalTopic(contract);
    const violating = Buffer.from(JSON.stringify({ ref: 'inc-9', nhsNumber: PERSONAL }));
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    await raw.produce(physical, [
      { key: 'bad-1', value: violating, headers: { 'trace-id': 'trace-bad-1', 'x-origin': 'gateway' } },
      { key: 'bad-2', value: binary },
      { key: 'good', value: JSON.stringify({ ref: 'inc-10', nhsNumber: NHS }) },
    ]);

    await expect.poll(() => dlqOf(contract.name).length, { timeout: 20_000 }).toBe(2);
    await expect.poll(() => handled, { timeout: 10_000 }).toEqual(['inc-10']);
    const [first, second] = dlqOf(contract.name);
    const physicalGroup = `${namespace}${groupId}`;

    expect(first?.key?.toString()).toBe('bad-1');
    expect(first?.value?.equals(violating)).toBe(true);
    expect(first?.headers).toMatchObject({
      'dlq-reason': 'contract-violation',
      'dlq-original-topic': physical,
      'dlq-original-partition': '0',
      'dlq-original-offset': '0',
      'dlq-consumer-group': physicalGroup,
      'trace-id': 'trace-bad-1',
      'x-origin': 'gateway',
    });
    expect(JSON.parse(first?.headers['dlq-detail'] ?? '')).toEqual({
      issues: [{ path: '/nhsNumber', code: 'invalid_format' }],
    });
    expect(first?.headers['dlq-detail']).not.toContain(PERSONAL);
    expect(Date.parse(first?.headers['dlq-failed-at'] ?? '')).toBeGreaterThan(Date.now() - 60_000);

    expect(second?.value?.equals(binary)).toBe(true);
    expect(second?.headers).toMatchObject({
      'dlq-reason': 'undecodable-message',
      'dlq-detail': '{"cause":"not-utf8"}',
      'dlq-original-offset': '1',
    });
    // Offsets are committed past all three: the dead-lettered ones count as done.
    await expect.poll(() => raw.committedOffsets(physicalGroup, physical), { timeout: 10_000 }).toEqual(['3']);
    await subscription.stop();
  });

  it('retries a failing handler with backoff, handles a recovering message once, dead-letters one that never recovers and moves on', async () => {
    const groupId = uniqueId('retried');
    const attempts = new Map<string, number>();
    const handled: string[] = [];
    class PracticeLookupError extends Error {
      override readonly name = 'PracticeLookupError';
      readonly code = 'ENOPRACTICE';
    }
    const subscription = await client.consume(retried, {
      groupId,
      ...FAST_CONSUMER,
      retry: { attempts: 4, initialDelayMs: 20, maxDelayMs: 100 },
      handle: (message) => {
        const { ref } = message.value;
        const attempt = (attempts.get(ref) ?? 0) + 1;
        attempts.set(ref, attempt);
        if (ref === 'flaky' && attempt <= 2) return Promise.reject(new Error('transient'));
        if (ref === 'broken') return Promise.reject(new PracticeLookupError(`no practice for ${PERSONAL}`));
        handled.push(ref);
        return Promise.resolve();
      },
    });
    await client.publish(
      retried,
      ['flaky', 'broken', 'after'].map((ref) => ({ key: ref, value: { ref, nhsNumber: NHS } })),
    );

    await expect.poll(() => handled, { timeout: 20_000 }).toEqual(['flaky', 'after']);
    await expect.poll(() => dlqOf(retried.name).length, { timeout: 10_000 }).toBe(1);
    expect(Object.fromEntries(attempts)).toEqual({ flaky: 3, broken: 4, after: 1 });
    const [letter] = dlqOf(retried.name);
    expect(letter?.key?.toString()).toBe('broken');
    expect(letter?.headers).toMatchObject({ 'dlq-reason': 'handler-failed', 'dlq-original-offset': '1' });
    expect(JSON.parse(letter?.headers['dlq-detail'] ?? '')).toEqual({
      error: { name: 'PracticeLookupError', code: 'ENOPRACTICE' },
      attempts: 4,
    });
    const physicalGroup = `${namespace}${groupId}`;
    await expect
      .poll(() => raw.committedOffsets(physicalGroup, client.physicalTopic(retried)), { timeout: 10_000 })
      .toEqual(['3']);
    await subscription.stop();
  });

  it('does not commit when the dead-letter write fails: the message comes back and lands once the DLQ exists', async () => {
    const physical = client.physicalTopic(noDeadLetterTopic);
    await raw.createTopic(physical); // and deliberately not its .dlq twin
    const groupId = uniqueId('no-dlq');
    const physicalGroup = `${namespace}${groupId}`;
    const subscription = await client.consume(noDeadLetterTopic, {
      groupId,
      ...FAST_CONSUMER,
      handle: () => Promise.resolve(),
    });
    await raw.produce(physical, [{ key: 'bad', value: '{"ref":""}' }]);

    const failures = () =>
      logs
        .lines()
        .filter(
          (l) =>
            l['msg'] === 'dead-letter write failed; offset not committed, the message will be redelivered' &&
            l['topic'] === noDeadLetterTopic.name,
        );
    await expect.poll(() => failures().length, { timeout: 40_000, interval: 250 }).toBeGreaterThan(0);
    expect(await raw.committedOffsets(physicalGroup, physical)).toEqual(['-1']);

    await raw.createTopic(`${physical}.dlq`);
    const dlq = await raw.read([`${physical}.dlq`]);
    await expect.poll(() => dlq.records.length, { timeout: 40_000, interval: 250 }).toBeGreaterThan(0);
    expect(dlq.records[0]?.headers).toMatchObject({ 'dlq-reason': 'contract-violation', 'dlq-original-offset': '0' });
    await expect.poll(() => raw.committedOffsets(physicalGroup, physical), { timeout: 10_000 }).toEqual(['1']);
    await subscription.stop();
  });
});
