/**
 * The anchor of issue 10: the hub's domestic-abuse hops written directly on kafkajs, without @hub/kafka or any
 * service, to measure what Kafka, Redis and signing allow on this machine. received -> identified -> decided ->
 * issued (five notifications per incident, each an ES256 compact JWS signed with node:crypto) -> Redis inbox writes,
 * with the hub's audit records on every stage; exactly once: read_committed consumers, transactional producers with
 * sendOffsets, one transaction per fetched batch (split only at Kafka's 1 MiB limit). A burst of incidents is
 * published up front and drained; `./hub bench raw e2e` prints the hub's burst drain as a share of this one.
 *
 *   node test/bench/raw-pipeline.ts [--raw-burst=2000] [--timeout-s=300]
 */
import { randomBytes } from 'node:crypto';
// The one file outside @hub/kafka that imports kafkajs (eslint.config.js): the anchor measures without our layer.
import kafkajs, { type Consumer, type Producer, type TopicMessages } from 'kafkajs';
import {
  auditEventsTopic,
  daIncidentDecidedTopic,
  daIncidentIdentifiedTopic,
  daIncidentReceivedTopic,
  notificationsIssuedTopic,
  type AuditEvent,
  type IssuedNotification,
} from '@hub/contracts';
import { createLogger } from '@hub/logger';
import { closeRedis, createRedis, pingRedis, scanKeys, type RedisClient } from '@hub/redis';
import { publicJwks, verify } from '@hub/signing';
import {
  assertHubShapes,
  AUDITS_PER_INCIDENT,
  createInboxWriter,
  createSigner,
  dispatcherStage,
  identityStage,
  igEngineStage,
  inboxStage,
  INBOXES,
  intakeOutputs,
  itemsKey,
  PER_INCIDENT,
  signatureHolds,
  type InboxWrite,
  type InboxWriter,
  type Output,
  type Signer,
  type Stage,
} from './raw-stages.ts';
import {
  intOption,
  now,
  perSecond,
  progress,
  runStandalone,
  sleep,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;

interface RawBenchOptions {
  readonly brokers: string[];
  readonly redisUrl: string;
  readonly burst: number;
  readonly timeoutMs: number;
}

export function rawOptions(argv: readonly string[]): RawBenchOptions {
  return {
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim()),
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6380',
    burst: intOption(argv, 'raw-burst', 'BENCH_RAW_BURST', 2_000),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_RAW_TIMEOUT_S', 300) * 1000,
  };
}

/** The case run.ts divides the hub's burst drain by. */
export const RAW_DRAIN_CASE = 'burst: first input → all 5 notifications of every incident in the inboxes';

const WARM_UP = 20;
/**
 * Outputs in one produce request, in bytes of keys and values. The broker refuses a partition's record batch over its
 * message.max.bytes (1 MiB by default) and kafkajs sends one batch per partition per request, so a transaction whose
 * outputs are more than this sends them in several requests. The inputs of one transaction are what one fetch brought
 * for one partition: kafkajs's maxBytesPerPartition, 1 MiB, bounds them.
 */
const MAX_REQUEST_BYTES = 900 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Kafka: transactional producers (one per stage and input partition, as @hub/kafka's partition producers) and
// read_committed consumers, one transaction per fetched batch.
// ---------------------------------------------------------------------------------------------------------------

type KafkaInstance = InstanceType<typeof Kafka>;

interface Pipeline {
  readonly kafka: KafkaInstance;
  readonly namespace: string;
  readonly inbox: InboxWriter;
  /** Stops every wait: a consumer crashed for good. */
  fail(error: unknown): void;
}

async function transactionalProducer(kafka: KafkaInstance, transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 60_000,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // Retry CONCURRENT_TRANSACTIONS after 20 ms as Java's producer does, not kafkajs's 300 ms (README, Results).
    retry: { initialRetryTime: 20, maxRetryTime: 5_000, retries: 10 },
  });
  await producer.connect();
  return producer;
}

const isRetriable = (error: unknown): boolean =>
  error instanceof Error && 'retriable' in error && (error as { retriable?: unknown }).retriable === true;

/**
 * Outputs (and the input offset, if any) in one transaction. A retriable error (kafkajs does not retry
 * CONCURRENT_TRANSACTIONS from sendOffsets, its issue 430) aborts and retries the whole transaction.
 */
async function commitTransaction(
  producer: Producer,
  outputs: readonly Output[],
  namespace: string,
  offsets?: { readonly groupId: string; readonly topic: string; readonly partition: number; readonly next: string },
): Promise<number> {
  const requests = requestsOf(outputs, namespace);
  for (let attempt = 1; ; attempt++) {
    const transaction = await producer.transaction();
    try {
      for (const topicMessages of requests) await transaction.sendBatch({ topicMessages, acks: -1 });
      if (offsets !== undefined) {
        await transaction.sendOffsets({
          consumerGroupId: offsets.groupId,
          topics: [{ topic: offsets.topic, partitions: [{ partition: offsets.partition, offset: offsets.next }] }],
        });
      }
      await transaction.commit();
      return requests.length;
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      if (attempt >= 5 || !isRetriable(error)) throw error;
      await sleep(20 * attempt);
    }
  }
}

const outputBytes = ({ key, value }: Output): number => Buffer.byteLength(key) + Buffer.byteLength(value);

/** The outputs as produce requests of at most MAX_REQUEST_BYTES, each grouped by (physical) topic. */
function requestsOf(outputs: readonly Output[], namespace: string): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let byTopic = new Map<string, TopicMessages>();
  let bytes = 0;
  for (const output of outputs) {
    const size = outputBytes(output);
    if (byTopic.size > 0 && bytes + size > MAX_REQUEST_BYTES) {
      requests.push([...byTopic.values()]);
      byTopic = new Map();
      bytes = 0;
    }
    const topic = namespace + output.topic;
    let entry = byTopic.get(topic);
    if (entry === undefined) byTopic.set(topic, (entry = { topic, messages: [] }));
    entry.messages.push({ key: output.key, value: output.value });
    bytes += size;
  }
  if (byTopic.size > 0) requests.push([...byTopic.values()]);
  return requests;
}

interface RunningStage {
  readonly name: string;
  readonly groupId: string;
  /** Transactions committed, the inputs and produce requests they held, so far. */
  readonly counts: { transactions: number; inputs: number; requests: number };
  stop(): Promise<void>;
}

async function startStage(pipeline: Pipeline, stage: Stage, partitions: number): Promise<RunningStage> {
  const { kafka, namespace } = pipeline;
  const groupId = `${namespace}raw-${stage.name}`;
  const topic = namespace + stage.input;
  const counts = { transactions: 0, inputs: 0, requests: 0 };
  const producers = new Map<number, Promise<Producer>>();
  const producerFor = (partition: number): Promise<Producer> => {
    let producer = producers.get(partition);
    if (producer === undefined) {
      producer = transactionalProducer(kafka, `${groupId}-${partition}`);
      producers.set(partition, producer);
    }
    return producer;
  };
  const consumer: Consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    sessionTimeout: 15_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 1_000,
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) pipeline.fail(new Error(`raw ${stage.name}: consumer stopped`, { cause: payload.error }));
  });

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: partitions,
    // One transaction per fetched batch: its outputs, then its offset (sendOffsets), committed together.
    eachBatch: async (payload) => {
      const { batch } = payload;
      const last = batch.messages.at(-1);
      if (last === undefined) return;
      const outputs: Output[] = [];
      const writes: InboxWrite[] = [];
      for (const message of batch.messages) {
        const result = stage.transform(message.value?.toString('utf8') ?? 'null', message.offset);
        outputs.push(...result.outputs);
        if (result.write !== undefined) writes.push(result.write);
      }
      // Stopping, or the partition moved: nothing is committed, and its next owner fetches the batch again.
      if (!payload.isRunning() || payload.isStale()) return;
      if (writes.length > 0) await pipeline.inbox.write(writes);
      const next = (BigInt(last.offset) + 1n).toString();
      const requests = await commitTransaction(await producerFor(batch.partition), outputs, namespace, {
        groupId,
        topic,
        partition: batch.partition,
        next,
      });
      payload.resolveOffset(last.offset);
      counts.transactions += 1;
      counts.inputs += batch.messages.length;
      counts.requests += requests;
      await payload.heartbeat();
    },
  });
  return {
    name: stage.name,
    groupId,
    counts,
    async stop() {
      await consumer.disconnect();
      const settled = await Promise.allSettled(producers.values());
      await Promise.allSettled(
        settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value.disconnect()] : [])),
      );
    },
  };
}

/**
 * The police side: each incident's received record and its audit event, one transaction per produce request, so the
 * identity stage starts on the first while the rest are sent. Answers the number of transactions.
 */
async function publishIncidents(
  producer: Producer,
  namespace: string,
  incidentIds: readonly string[],
): Promise<number> {
  let transactions = 0;
  let pending: Output[] = [];
  let bytes = 0;
  for (const incidentId of incidentIds) {
    const outputs = intakeOutputs(incidentId);
    const size = outputs.reduce((sum, output) => sum + outputBytes(output), 0);
    if (pending.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      transactions += 1;
      await commitTransaction(producer, pending, namespace);
      pending = [];
      bytes = 0;
    }
    pending.push(...outputs);
    bytes += size;
  }
  if (pending.length > 0) {
    transactions += 1;
    await commitTransaction(producer, pending, namespace);
  }
  return transactions;
}

// ---------------------------------------------------------------------------------------------------------------
// The run: fresh topics and key prefix, stages started and warmed up, the burst published and drained, everything
// checked, then deleted.
// ---------------------------------------------------------------------------------------------------------------

const TOPICS = [
  daIncidentReceivedTopic,
  daIncidentIdentifiedTopic,
  daIncidentDecidedTopic,
  notificationsIssuedTopic,
  auditEventsTopic,
] as const;

export async function rawPipeline(options: RawBenchOptions): Promise<BenchRow[]> {
  const deadline = now() + options.timeoutMs;
  const left = (): number => deadline - now();
  const run = randomBytes(4).toString('hex');
  const namespace = `raw${run}.`;
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING, // silent like the other benchmarks; failures surface as errors and crash events
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
  });
  const admin = kafka.admin();
  const redis = createRedis({
    url: options.redisUrl,
    keyPrefix: `bench:raw${run}:`,
    connectionName: 'bench-raw',
    logger: createLogger({ service: 'bench', level: 'silent' }),
  });
  const stages: RunningStage[] = [];
  const checkGroup = `${namespace}raw-check`;
  let intake: Producer | undefined;
  let ended = false;
  let failWith: (error: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => (failWith = reject));
  failure.catch(() => undefined); // observed by the waits below; never unhandled

  /** Waits until `done()`, failing at the deadline or when a stage stopped for good. */
  async function until(done: () => boolean, ms: number, what: string): Promise<void> {
    const polled = (async () => {
      while (!done() && !ended) await sleep(5);
    })();
    await withDeadline(Promise.race([polled, failure]), ms, `raw ${what}`);
  }

  // Notifications stored for the first time, per receipt, and when the last one was.
  const storedPerReceipt = new Map<string, number>();
  let stored = 0;
  let lastStoredAt = 0;
  const onStored = (notification: IssuedNotification): void => {
    storedPerReceipt.set(notification.receiptId, (storedPerReceipt.get(notification.receiptId) ?? 0) + 1);
    stored += 1;
    lastStoredAt = now();
  };
  const ids = (phase: string, count: number): string[] =>
    Array.from({ length: count }, (_, i) => `ASP-RAW-${run}-${phase}-${String(i + 1).padStart(5, '0')}`);

  async function measure(): Promise<BenchRow[]> {
    await withDeadline(
      Promise.all([admin.connect(), pingRedis(redis, 5_000)]),
      Math.min(30_000, left()),
      'raw connect',
    );
    await withDeadline(
      admin.createTopics({
        waitForLeaders: true,
        topics: TOPICS.map((topic) => ({
          topic: namespace + topic.name,
          numPartitions: topic.partitions,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: String(60 * 60 * 1000) }],
        })),
      }),
      Math.min(30_000, left()),
      'raw topics',
    );
    progress(`raw: namespace ${namespace} on ${options.brokers.join(',')}, a burst of ${options.burst} incidents`);
    const signer = createSigner();
    assertHubShapes(signer);
    const pipeline: Pipeline = {
      kafka,
      namespace,
      inbox: await createInboxWriter(redis, onStored),
      fail: (error) => {
        failWith(error);
      },
    };
    const partitions = Math.max(...TOPICS.map((topic) => topic.partitions));
    for (const stage of [identityStage, igEngineStage, dispatcherStage(signer), inboxStage]) {
      stages.push(await startStage(pipeline, stage, partitions));
    }
    intake = await transactionalProducer(kafka, `${namespace}raw-intake`);

    // Warm-up, untimed: group joins, producers, JIT.
    const warm = ids('W', WARM_UP);
    await publishIncidents(intake, namespace, warm);
    await until(() => stored >= warm.length * PER_INCIDENT, Math.min(60_000, left()), 'warm-up');
    const before = stages.map((stage) => ({ ...stage.counts }));

    // The burst: published up front, drained until every notification is in its inbox.
    const burst = ids('B', options.burst);
    const expected = (warm.length + burst.length) * PER_INCIDENT;
    const started = now();
    const intakeTransactions = await withDeadline(publishIncidents(intake, namespace, burst), left(), 'raw intake');
    const published = now() - started;
    await until(() => stored >= expected, left(), 'burst drain');
    const elapsed = lastStoredAt - started;
    const perStage = stages
      .map((stage, index) => {
        const transactions = stage.counts.transactions - before[index]!.transactions;
        const inputs = stage.counts.inputs - before[index]!.inputs;
        const requests = stage.counts.requests - before[index]!.requests;
        return `${stage.name} ${transactions} (${(inputs / Math.max(1, transactions)).toFixed(0)} inputs, ${(requests / Math.max(1, transactions)).toFixed(1)} requests each)`;
      })
      .join(', ');
    const notifications = burst.length * PER_INCIDENT;
    const rows: BenchRow[] = [
      {
        bench: 'raw',
        case: 'burst intake: received + audit record per incident, transactional',
        count: burst.length,
        perSecond: perSecond(burst.length, published),
        note: `${intakeTransactions} transactions of at most ${MAX_REQUEST_BYTES / 1024} KiB`,
      },
      {
        bench: 'raw',
        case: RAW_DRAIN_CASE,
        count: burst.length,
        perSecond: perSecond(burst.length, elapsed),
        note: `${notifications} notifications in ${(elapsed / 1000).toFixed(1)} s; ops/s = incidents/s; transactions: ${perStage}`,
      },
      {
        bench: 'raw',
        case: 'burst: notifications stored in their inboxes',
        count: notifications,
        perSecond: perSecond(notifications, elapsed),
        note: 'ops/s = notifications/s, same span',
      },
    ];

    // Untimed: exactly once, end to end, and every signature.
    await sleep(1_000); // a notification stored under a new id (ids not derived from content) would show
    if (stored !== expected) throw new Error(`raw: ${stored} notifications stored, expected ${expected}`);
    const short = [...storedPerReceipt.values()].filter((count) => count !== PER_INCIDENT).length;
    if (storedPerReceipt.size !== warm.length + burst.length || short > 0) {
      throw new Error(`raw: ${storedPerReceipt.size} receipts stored, ${short} without exactly ${PER_INCIDENT}`);
    }
    await checkInboxes(redis, warm.length + burst.length);
    await checkRecords(kafka, namespace, checkGroup, signer, warm.length + burst.length, Math.min(120_000, left()));
    return rows;
  }

  let rows: BenchRow[] = [];
  let failed: Error | undefined;
  try {
    rows = await measure();
  } catch (error) {
    failed = error instanceof Error ? error : new Error(String(error));
  }
  ended = true;
  const problems = await cleanUp();
  if (failed !== undefined) {
    if (problems.length > 0) progress(`raw: clean-up also failed: ${problems.join('; ')}`);
    throw failed;
  }
  if (problems.length > 0) throw new Error(`raw: clean-up failed: ${problems.join('; ')}`);
  return rows;

  /** Stops everything and deletes what this run made; answers what could not be done. Never throws. */
  async function cleanUp(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, work: () => Promise<unknown>): Promise<void> => {
      try {
        await withDeadline(work(), 15_000, what);
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    await attempt('stopping the stages', () => Promise.all(stages.map((stage) => stage.stop())));
    await attempt('disconnecting the intake', () => intake?.disconnect() ?? Promise.resolve());
    await attempt('deleting the consumer groups', () =>
      admin.deleteGroups([...stages.map((stage) => stage.groupId), checkGroup]).catch((error: unknown) => {
        // The check group exists only if the checks ran.
        const groups = (error as { groups?: { groupId: string; errorCode: number }[] }).groups ?? [];
        const real = groups.filter((group) => group.errorCode !== 0 && group.groupId !== checkGroup);
        if (groups.length === 0 || real.length > 0) throw error;
      }),
    );
    await attempt('deleting the topics', () =>
      admin.deleteTopics({ topics: TOPICS.map((topic) => namespace + topic.name), timeout: 10_000 }),
    );
    await attempt('disconnecting the admin', () => admin.disconnect());
    await attempt('deleting the Redis keys', async () => {
      const keys = await scanKeys(redis, '*', { maxKeys: 1_000_000, batchSize: 1_000 });
      for (let first = 0; first < keys.length; first += 1_000) await redis.del(...keys.slice(first, first + 1_000));
      const left = await scanKeys(redis, '*', { maxKeys: 1_000 });
      if (left.length > 0) throw new Error(`${left.length} keys left under the prefix`);
    });
    await closeRedis(redis);
    return problems;
  }
}

/** Every inbox holds exactly its share of the incidents' notifications. */
async function checkInboxes(redis: RedisClient, incidents: number): Promise<void> {
  for (const [recipient, perIncident] of Object.entries(INBOXES)) {
    const count = await redis.zcard(itemsKey(recipient));
    if (count !== incidents * perIncident) {
      throw new Error(`raw: inbox ${recipient} holds ${count}, expected ${incidents * perIncident}`);
    }
  }
}

/**
 * Reads the issued and audit topics back (read_committed) and checks them: each record once (content-derived ids),
 * as many as the incidents make, and every notification's signature (the first incident's through @hub/signing,
 * the hub's own verifier, so the JWS is the same compact form).
 */
async function checkRecords(
  kafka: KafkaInstance,
  namespace: string,
  groupId: string,
  signer: Signer,
  incidents: number,
  ms: number,
): Promise<void> {
  const notifications: IssuedNotification[] = [];
  const auditIds: string[] = [];
  const issuedTopic = namespace + notificationsIssuedTopic.name;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 500 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [issuedTopic, namespace + auditEventsTopic.name], fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        for (const message of batch.messages) {
          const value = message.value?.toString('utf8') ?? 'null';
          if (batch.topic === issuedTopic) notifications.push(JSON.parse(value) as IssuedNotification);
          else auditIds.push((JSON.parse(value) as AuditEvent).eventId);
        }
        return Promise.resolve();
      },
    });
    const expected = { notifications: incidents * PER_INCIDENT, audit: incidents * AUDITS_PER_INCIDENT };
    const started = now();
    while (notifications.length < expected.notifications || auditIds.length < expected.audit) {
      if (now() - started > ms) throw new Error(`raw: reading the records back: not done within ${ms} ms`);
      await sleep(20);
    }
    await sleep(1_000); // a repeat after them would show
    const unique = (values: readonly string[]): number => new Set(values).size;
    const issuedIds = notifications.map((notification) => notification.notificationId);
    if (notifications.length !== expected.notifications || unique(issuedIds) !== expected.notifications) {
      throw new Error(
        `raw: ${notifications.length} issued (${unique(issuedIds)} distinct), expected ${expected.notifications}`,
      );
    }
    if (auditIds.length !== expected.audit || unique(auditIds) !== expected.audit) {
      throw new Error(
        `raw: ${auditIds.length} audit events (${unique(auditIds)} distinct), expected ${expected.audit}`,
      );
    }
    const forged = notifications.filter((notification) => !signatureHolds(notification.jws, signer.publicKey));
    if (forged.length > 0) throw new Error(`raw: ${forged.length} notifications whose signature does not verify`);
    const jwks = publicJwks.parse({
      keys: [{ ...signer.publicKey.export({ format: 'jwk' }), kid: signer.kid, alg: 'ES256', use: 'sig' }],
    });
    const first = notifications[0]!.receiptId;
    for (const notification of notifications.filter((candidate) => candidate.receiptId === first)) {
      await verify(notification.jws, jwks);
    }
  } finally {
    await consumer.disconnect();
  }
}

export async function runRawBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = rawOptions(argv);
  // The hard stop allows 100 s beyond the benchmark's own deadline for clean-up (six steps of at most 15 s).
  return withHardTimeout(options.timeoutMs + 100_000, 'raw', () => rawPipeline(options));
}

if (import.meta.main) await runStandalone(() => runRawBench(process.argv.slice(2)));
