import { DAYS, defineTopic } from '@hub/contracts';
import { DependencyUnavailableError } from '@hub/errors';
import { withContext } from '@hub/logger';
import { captureLogs, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HEADERS } from './headers.ts';
import { ContractViolationError, createKafkaClient, type KafkaClient, type KafkaClientOptions } from './index.ts';
import { createRawKafka, type RawKafka, type RawRecord } from './testing/raw.ts';

// One single-partition topic per test: a transaction's commit marker takes an offset of every partition it wrote,
// so on a topic of its own, records in k transactions span (records + k - 1) offsets. That is the broker's count of
// transactions, not ours.
const topicOf = (name: string) =>
  defineTopic({
    name,
    description: 'test',
    schema: z.object({ request: z.number().int(), seq: z.number().int() }).strict(),
    partitions: 1,
    retentionMs: DAYS,
    cleanupPolicy: 'delete',
  });
const grouped = topicOf('test.grouped.v1');
/** Where publishes made together share a produce request across partitions: each is answered its own offsets. */
const spread = defineTopic({ ...topicOf('test.grouped-spread.v1'), partitions: 3 });
const isolated = topicOf('test.grouped-isolated.v1');
const fenced = topicOf('test.grouped-fenced.v1');
const lone = topicOf('test.grouped-lone.v1');
const pooled = topicOf('test.grouped-pooled.v1');
type Note = z.infer<typeof grouped.schema>;

const namespace = isolatedTopicNamespace();
const { logger } = captureLogs('kafka-group-commit-test');
const clients: KafkaClient[] = [];
let raw: RawKafka;

/** A client of its own (its own producers) on the file's namespace; every one has the default instance name. */
function clientWith(groupCommit: NonNullable<KafkaClientOptions['groupCommit']>): KafkaClient {
  const client = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'group-commit-test',
    logger,
    topicNamespace: namespace,
    groupCommit,
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  await clientWith({}).provisionTopics([grouped, spread, isolated, fenced, lone, pooled]);
  raw = await createRawKafka(testEndpoints().kafkaBrokers, logger);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await raw.close();
});

/** A W3C trace id per request (32 hex), so each record's traceparent carries its caller's trace. */
const traceIdOf = (request: number) => request.toString(16).padStart(32, 'a');
const noteOf = (record: RawRecord): Note => JSON.parse(record.value?.toString() ?? 'null') as Note;
const settle = (promises: readonly Promise<unknown>[]) =>
  Promise.all(
    promises.map((promise) =>
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    ),
  );

describe('group commit of transaction()', () => {
  it('makes concurrent transactions fewer Kafka transactions; every record committed once, in its request order', async () => {
    const client = clientWith({ gatherMs: 200, maxMembers: 8 });
    const transactionalId = uniqueId('grouped');
    const requests = 20;
    const runs = Array.from({ length: requests }, (_, request) =>
      withContext({ traceId: traceIdOf(request) }, () =>
        client.transaction(transactionalId, async (tx) => {
          const offsets: string[] = [];
          for (let seq = 0; seq < 3; seq++) {
            const [written] = await tx.publish(grouped, [{ key: `r${request}`, value: { request, seq } }]);
            offsets.push(written?.baseOffset ?? 'none');
          }
          const keys = ['a', 'b', 'c', 'd'].map((key) => `r${request}-${key}`);
          const spreadOffsets = await tx.publish(
            spread,
            keys.map((key, seq) => ({ key, value: { request, seq } })),
          );
          return { offsets, spreadOffsets };
        }),
      ),
    );
    const answered = await Promise.all(runs);

    const reader = await raw.read([client.physicalTopic(grouped)]);
    await expect.poll(() => reader.records.length, { timeout: 20_000 }).toBe(requests * 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const records = reader.records;
    expect(records).toHaveLength(requests * 3);
    // Once each, in each request's order, at the offsets its publish answered, with its caller's trace id.
    for (let request = 0; request < requests; request++) {
      const own = records.filter((record) => noteOf(record).request === request);
      expect(own.map((record) => noteOf(record).seq)).toEqual([0, 1, 2]);
      expect(own.map((record) => record.offset)).toEqual(answered[request]?.offsets);
      expect(new Set(own.map((record) => record.headers[HEADERS.traceparent]?.split('-')[1]))).toEqual(
        new Set([traceIdOf(request)]),
      );
    }
    // Across partitions too: each publish is answered, per partition, the offset of its first record there.
    const spreadReader = await raw.read([client.physicalTopic(spread)]);
    await expect.poll(() => spreadReader.records.length, { timeout: 20_000 }).toBe(requests * 4);
    for (let request = 0; request < requests; request++) {
      const firstPerPartition = new Map<number, string>();
      for (const record of spreadReader.records.filter((r) => noteOf(r).request === request)) {
        const first = firstPerPartition.get(record.partition);
        if (first === undefined || BigInt(record.offset) < BigInt(first)) {
          firstPerPartition.set(record.partition, record.offset);
        }
      }
      const answeredSpread = answered[request]?.spreadOffsets ?? [];
      expect(new Map(answeredSpread.map(({ partition, baseOffset }) => [partition, baseOffset]))).toEqual(
        firstPerPartition,
      );
    }
    // 20 requests, at most 8 per transaction: 3 Kafka transactions (8, 8 and 4), so 2 commit markers in between.
    const offsets = records.map((record) => Number(record.offset));
    const transactions = Math.max(...offsets) - Math.min(...offsets) + 1 - records.length + 1;
    expect(transactions).toBe(3);
  });

  it('rejects a member whose work throws alone: none of its records is visible, its neighbours commit', async () => {
    const client = clientWith({ gatherMs: 1_000, maxMembers: 4 });
    const transactionalId = uniqueId('isolated');
    let neighbourRuns = 0;
    const publishOne = (request: number) => (tx: Parameters<Parameters<KafkaClient['transaction']>[1]>[0]) =>
      tx.publish(isolated, [{ key: `r${request}`, value: { request, seq: 0 } }]);
    const [neighbour, sentThenThrew, threwFirst, invalid] = await settle([
      // Its first run is aborted with the failing member's records; it runs again and commits.
      client.transaction(transactionalId, async (tx) => {
        neighbourRuns++;
        const [written] = await publishOne(1)(tx);
        return written?.baseOffset;
      }),
      client.transaction(transactionalId, async (tx) => {
        await publishOne(2)(tx);
        throw new Error('changed its mind after publishing');
      }),
      client.transaction(transactionalId, () => Promise.reject(new Error('failed before publishing'))),
      client.transaction(transactionalId, (tx) =>
        tx.publish(isolated, [{ key: 'r4', value: { request: 4, seq: 'x' } as unknown as Note }]),
      ),
    ]);
    expect(sentThenThrew).toMatchObject({ error: { message: 'changed its mind after publishing' } });
    expect(threwFirst).toMatchObject({ error: { message: 'failed before publishing' } });
    expect((invalid as { error: unknown }).error).toBeInstanceOf(ContractViolationError);
    expect(neighbourRuns).toBe(2);

    const committed = await raw.read([client.physicalTopic(isolated)]);
    const written = await raw.read([client.physicalTopic(isolated)], { readUncommitted: true });
    await expect.poll(() => committed.records.length, { timeout: 20_000 }).toBe(1);
    // The failing member's record did reach the log, in the aborted transaction: the filtering is real.
    await expect
      .poll(() => written.records.map((record) => noteOf(record).request).sort(), { timeout: 20_000 })
      .toEqual([1, 1, 2]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(committed.records.map(noteOf)).toEqual([{ request: 1, seq: 0 }]);
    // The neighbour was answered the offset its record is committed at, not its aborted first run's.
    expect(neighbour).toEqual({ value: committed.records[0]?.offset });
  });

  it('rejects every member with DependencyUnavailableError when the commit fails; nothing of them is visible', async () => {
    const client = clientWith({ gatherMs: 1_000, maxMembers: 3 });
    const transactionalId = uniqueId('fenced');
    let published = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const members = settle(
      [1, 2, 3].map((request) =>
        client.transaction(transactionalId, async (tx) => {
          await tx.publish(fenced, [{ key: `r${request}`, value: { request, seq: 0 } }]);
          published++;
          await gate;
        }),
      ),
    );
    await expect.poll(() => published, { timeout: 20_000 }).toBe(3);
    // The same instance name started again (a restarted process) fences the group's producer: the broker aborts its
    // open transaction, and the group's commit fails.
    const successor = clientWith({ gatherMs: 0 });
    await successor.transaction(transactionalId, (tx) =>
      tx.publish(fenced, [{ key: 'successor', value: { request: 0, seq: 0 } }]),
    );
    release();
    for (const member of await members) {
      const { error } = member as { error: unknown };
      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).toMatchObject({ dependency: 'kafka' });
    }

    const committed = await raw.read([client.physicalTopic(fenced)]);
    const written = await raw.read([client.physicalTopic(fenced)], { readUncommitted: true });
    await expect.poll(() => written.records.length, { timeout: 20_000 }).toBe(4);
    await expect.poll(() => committed.records.length, { timeout: 20_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(committed.records.map(noteOf)).toEqual([{ request: 0, seq: 0 }]);
  });

  it('starts a lone request once the gathering window is over, not later', async () => {
    const gatherMs = 1_000;
    const client = clientWith({ gatherMs });
    const transactionalId = uniqueId('lone');
    // Connect the producer first, so the measured run is the window plus one transaction.
    await client.transaction(transactionalId, (tx) =>
      tx.publish(lone, [{ key: 'warm', value: { request: 0, seq: 0 } }]),
    );
    let started = 0;
    const called = Date.now();
    await client.transaction(transactionalId, async (tx) => {
      started = Date.now();
      await tx.publish(lone, [{ key: 'lone', value: { request: 1, seq: 0 } }]);
    });
    // Its work starts when the window ends: not before (it waited for company), and not a window later.
    expect(started - called).toBeGreaterThanOrEqual(gatherMs - 5);
    expect(started - called).toBeLessThan(2 * gatherMs);
  });

  it('runs one group per producer at once, up to the pool size; later groups wait their turn', async () => {
    // One member per group: each group is one request's transaction, as before group commit.
    const client = clientWith({ gatherMs: 0, maxMembers: 1 });
    const transactionalId = uniqueId('pooled');
    const gates: (() => void)[] = [];
    let open = 0;
    let mostOpen = 0;
    const order: number[] = [];
    const runs = Array.from({ length: 6 }, (_, n) =>
      client.transaction(transactionalId, async (tx) => {
        open++;
        mostOpen = Math.max(mostOpen, open);
        order.push(n);
        await tx.publish(pooled, [{ key: `pooled-${n}`, value: { request: n, seq: 0 } }]);
        await new Promise<void>((resolve) => gates.push(resolve));
        open--;
        return n;
      }),
    );
    await expect.poll(() => open, { timeout: 20_000 }).toBe(4); // the default pool size
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(order).toHaveLength(4); // the fifth and sixth are waiting, not open
    for (let released = 0; released < 6; released++) {
      await expect.poll(() => gates.length, { timeout: 20_000 }).toBeGreaterThan(released);
      gates[released]?.();
    }
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(mostOpen).toBe(4);
    expect(order.slice(4).sort()).toEqual([4, 5]);
  });
});
