import { connect as tcpConnect, isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import kafkajs, { type Admin, type ISocketFactory, type Kafka, type Message, type Producer } from 'kafkajs';
import { DependencyUnavailableError, HubError } from '@hub/errors';
import type { Logger } from '@hub/logger';
import { NO_TRACING, type HubTracer } from '@hub/tracing';
import type { DurabilityProfile, TopicSpec } from '@hub/contracts';
import { deadLetterDepth, groupLag, provisionTopics, ping, waitUntilReady, type GroupLag } from './admin.ts';
import { kafkajsSecurityOptions, lazyConnection, type KafkaSecurity, type LazyConnection } from './connection.ts';
import { DEFAULTS } from './limits.ts';
import { consume } from './consumer.ts';
import { deleteGroup, deleteNamespaceTopics, groupMembers } from './group-offsets.ts';
import { listDeadLetters, redriveDeadLetter, type DeadLetterEntry } from './dead-letter-tools.ts';
import { kafkaLogLevel, createLogCreator } from './log-creator.ts';
import { isKafkaFailure } from './kafka-errors.ts';
import { publish } from './producer.ts';
import { createTopicNamer, type TopicNamer } from './topic-names.ts';
import { createGroupCommit, type GroupCommit, type GroupCommitOptions } from './group-commit.ts';
import { createSharedSender, recordingPartitioner } from './shared-sends.ts';
import { createTransactionPool } from './transaction-pool.ts';
import { processTransactionally } from './transactional.ts';
import type {
  ConsumeOptions,
  OutboundMessage,
  ProvisionReport,
  PublishedOffsets,
  Subscription,
  TransactionScope,
  TransactionalOptions,
} from './types.ts';

const { Kafka: KafkaImpl, Partitioners } = kafkajs;

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  /** Names this process to the broker (quotas, logs); not namespaced. */
  readonly clientId: string;
  readonly logger: Logger;
  /** Prefix for every physical topic, dead-letter topic, consumer group and transactional id, e.g. `t3f9a.`. */
  readonly topicNamespace?: string | undefined;
  /** TLS and SASL (connection.ts); none: plaintext and unauthenticated, as the local broker listens. */
  readonly security?: KafkaSecurity;
  /**
   * Which of each topic's declared durabilities `provisionTopics` applies (`KAFKA_DURABILITY`); default `local`.
   * `production` is refused, creating nothing, on a cluster with fewer brokers than its replication factor.
   */
  readonly durability?: DurabilityProfile;
  /** TCP connect timeout per broker, default 3 s. */
  readonly connectionTimeoutMs?: number;
  /** Per-request timeout, default 30 s. */
  readonly requestTimeoutMs?: number;
  /**
   * This process among the deployment's live instances (`[a-zA-Z0-9_-]`, at most 64), part of every `transaction()`
   * producer's transactional id. Keep it stable across restarts (a restarted instance then fences its predecessor's
   * open transactions at once) and unique among live instances (two with one name fence each other). Default `main`.
   */
  readonly instanceName?: string;
  /**
   * Longest a request waits for `publish` or `transaction` before it is told Kafka is unavailable; default 5 s
   * (under the HTTP handler timeout, so the answer is 503 `not-ready`, not a processing timeout). The abandoned
   * write may still complete: the hub's ids derive from content, so the client's retry records nothing twice.
   */
  readonly requestDeadlineMs?: number;
  /**
   * How `transaction()` groups concurrent requests under one id into one Kafka transaction (group-commit.ts):
   * `gatherMs` (default 5) the longest a group's first request waits for others, `maxMembers` (default 64) the most
   * in one transaction.
   */
  readonly groupCommit?: GroupCommitOptions;
  /**
   * Where to open the connection to a broker the cluster names (bootstrap or advertised). Default: where it says.
   * For tests that put a cuttable proxy in front of the broker (testkit `startTcpProxy`): the broker advertises its
   * own address, so without this only the bootstrap connection would go through the proxy.
   */
  /**
   * Spans of each record a stage or projector handles (`@hub/tracing`), children of the span that published it;
   * default none (ids only: the trace still travels in each record's `traceparent`).
   */
  readonly tracer?: HubTracer;
  readonly resolveBroker?: (broker: { readonly host: string; readonly port: number }) => {
    readonly host: string;
    readonly port: number;
  };
}

export const DEFAULT_REQUEST_DEADLINE_MS = 5_000;
const KEEP_ALIVE_DELAY_MS = 60_000;

/** kafkajs's socket factory (TCP, or TLS checked against the broker's own name), connecting where `resolve` says. */
function resolvingSocketFactory(resolve: NonNullable<KafkaClientOptions['resolveBroker']>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const target = resolve({ host, port });
    // kafkajs passes null (its default) when TLS is off.
    const tls = ssl as ConnectionOptions | boolean | null | undefined;
    const socket =
      tls === undefined || tls === null || tls === false
        ? tcpConnect({ host: target.host, port: target.port }, onConnect)
        : tlsConnect(
            {
              ...(tls === true ? {} : tls),
              host: target.host,
              port: target.port,
              ...(isIP(host) === 0 ? { servername: host } : {}),
              // The certificate is the broker's, whatever is in between: check it names the broker, not the proxy.
              checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
            },
            onConnect,
          );
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    return socket;
  };
}

/**
 * Runs a request-side write: a Kafka failure (unreachable broker, failed transaction, no answer within the
 * deadline) becomes DependencyUnavailableError('kafka'), which @hub/http answers 503 `not-ready`. Anything else the
 * work threw (a contract violation, a HubError, a Redis outage) passes through unchanged.
 */
async function requestSide<R>(deadlineMs: number, work: () => Promise<R>): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new DependencyUnavailableError('kafka', { cause: new Error(`no answer within ${deadlineMs} ms`) }));
    }, deadlineMs);
  });
  const running = work();
  // Past the deadline nobody reads the outcome; a late failure must not become an unhandled rejection.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, deadline]);
  } catch (error) {
    if (error instanceof HubError || error instanceof DependencyUnavailableError) throw error;
    if (isKafkaFailure(error)) throw new DependencyUnavailableError('kafka', { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const INSTANCE_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The typed face of Kafka for services: logical TopicSpecs in, validated messages out. */
export interface KafkaClient {
  /** Physical topic name for a logical one (namespace applied). For operators' messages and tests. */
  physicalTopic(topic: TopicSpec | string): string;
  /** Creates each topic and its `.dlq` twin, aligns retention.ms and cleanup.policy; never deletes. Idempotent. */
  provisionTopics(topics: readonly TopicSpec[]): Promise<ProvisionReport>;
  /** True when the cluster answers describeCluster within the timeout (default 5 s). Never throws. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Resolves once ping succeeds; rejects after `timeoutMs`. */
  waitUntilReady(timeoutMs: number): Promise<void>;
  /** How far consumer group `groupId` (logical, as in `STEPS`) is behind on `topic`, from its committed offsets. */
  lag(groupId: string, topic: TopicSpec | string): Promise<GroupLag>;
  /** Offsets `<topic>.dlq` holds (its dead letters and their transaction markers): 0 exactly when it is empty. */
  deadLetterDepth(topic: TopicSpec): Promise<number>;
  /** How many members consumer group `groupId` (logical) has now; 0 when it has none or does not exist. */
  groupMembers(groupId: string): Promise<number>;
  /** Deletes group `groupId` (logical) and its offsets; false if there was none. GroupActiveError while it has members. */
  deleteGroup(groupId: string): Promise<boolean>;
  /** Deletes every topic of this client's namespace (tests' clean-up); refuses a client without a namespace. */
  deleteNamespaceTopics(): Promise<number>;
  /** Validates every value, then sends the batch (idempotent producer, acks=all). Throws and sends nothing if any is invalid. */
  publish<T extends TopicSpec>(topic: T, messages: readonly OutboundMessage<T>[]): Promise<void>;
  /**
   * Publishes atomically: everything `work` publishes is committed together, or aborted if it throws. Concurrent
   * calls under one id share one Kafka transaction (group commit); each settles once it has committed. `work` may
   * run again when a neighbour fails after publishing, so it must only compute and publish.
   */
  transaction<R>(transactionalId: string, work: (tx: TransactionScope) => Promise<R>): Promise<R>;
  /** At-least-once consumption with contract checks, retries and dead-lettering. */
  consume<T extends TopicSpec>(topic: T, options: ConsumeOptions<T>): Promise<Subscription>;
  /** Consume-transform-produce, exactly once within Kafka: outputs and the input's offset commit in one transaction. */
  processTransactionally<T extends TopicSpec>(topic: T, options: TransactionalOptions<T>): Promise<Subscription>;
  /** What `<topic>.dlq` holds (coordinates, reason, detail; never keys or values), for operators. */
  deadLetters(topic: TopicSpec): Promise<{ entries: DeadLetterEntry[]; more: boolean }>;
  /** Publishes a `handler-failed` dead letter to its topic again (RedriveRefusedError otherwise). */
  redrive(topic: TopicSpec, at: { readonly partition: number; readonly offset: string }): Promise<DeadLetterEntry>;
  /** Stops consumers (in-flight messages finish), then disconnects producers and admin. Safe to call twice. */
  close(): Promise<void>;
  /**
   * What a close() under way still waits for, by name only: `group <physical group id>`, `transactions <id>`,
   * `producer`, `admin` (the runtime's stop logs them if Kafka's close overruns its deadline). Empty otherwise.
   */
  stillClosing(): readonly string[];
}

/** What the modules share: one kafkajs instance, one idempotent producer, one admin, and the client's lifecycle. */
export interface ClientCore {
  readonly kafka: Kafka;
  readonly names: TopicNamer;
  readonly logger: Logger;
  readonly tracer: HubTracer;
  /** Connects the shared idempotent producer (a consumer checks it can dead-letter before it starts); send with `send`. */
  connectProducer(): Promise<void>;
  /**
   * Sends `messages` (validated and encoded) to `topic` (physical name) on the shared idempotent producer. Sends made
   * together share one produce request, one request at a time (shared-sends.ts), and a failed request replaces the
   * producer before the next is sent: a produce answered with an error may have been written all the same (its
   * broker died before answering; a timeout while the replicas caught up), and kafkajs then rewinds the partition's
   * sequence number. Another request of the same size to that partition would carry the numbers of records already
   * in the log, and the broker, taking it for their duplicate, would answer it with their offset and write nothing
   * (lost-answers.int.test.ts). A new producer numbers its records afresh.
   */
  send(topic: string, messages: readonly Message[]): Promise<readonly PublishedOffsets[]>;
  admin(): Promise<Admin>;
  /** A transactional producer (idempotent, one request in flight); the caller owns and disconnects it. */
  createTransactionalProducer(physicalTransactionalId: string, transactionTimeoutMs: number): Producer;
  /** Throws once close() has begun. */
  assertOpen(): void;
  /** Registers something close() must stop first; answers the function that unregisters it. */
  track(subscription: Subscription): () => void;
  /** Claims a transactional id for this client (two users of one id in one process would fence each other). */
  claimTransactionalId(physicalTransactionalId: string): () => void;
}

export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  if (options.brokers.length === 0) throw new Error('createKafkaClient needs at least one broker');
  const instanceName = options.instanceName ?? 'main';
  if (!INSTANCE_NAME.test(instanceName)) throw new RangeError('instanceName must match [a-zA-Z0-9_-]{1,64}');
  const names = createTopicNamer(options.topicNamespace);
  const requestDeadlineMs = options.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS;
  if (!Number.isSafeInteger(requestDeadlineMs) || requestDeadlineMs <= 0) {
    throw new RangeError('requestDeadlineMs must be a positive whole number of milliseconds');
  }
  const logger = options.logger.child({ component: 'kafka', clientId: options.clientId });
  const kafka = new KafkaImpl({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: kafkaLogLevel(options.logger.level),
    logCreator: createLogCreator(options.logger),
    ...kafkajsSecurityOptions(options.security),
    ...(options.resolveBroker === undefined ? {} : { socketFactory: resolvingSocketFactory(options.resolveBroker) }),
  });
  const TRANSACTIONAL_PRODUCER_RETRY = { initialRetryTime: 20, maxRetryTime: 5_000, retries: 10 } as const;
  const producerOptions = {
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Explicit, which also silences kafkajs's start-up notice about the v2 default partitioner (Java-compatible).
    createPartitioner: Partitioners.DefaultPartitioner,
  } as const;
  const producer: LazyConnection<Producer> = lazyConnection(() =>
    kafka.producer({ ...producerOptions, createPartitioner: recordingPartitioner }),
  );
  const sharedRequests = createSharedSender(async (topicMessages) => {
    const current = await producer.get();
    try {
      return await current.sendBatch({ topicMessages, acks: -1 });
    } catch (error) {
      await producer.retire(current).catch(() => undefined);
      throw error;
    }
  });
  const admin: LazyConnection<Admin> = lazyConnection(() => kafka.admin());
  const subscriptions = new Set<Subscription>();
  const transactionalIds = new Set<string>();
  const groupCommits = new Map<string, GroupCommit>();
  let closing: Promise<void> | undefined;

  const core: ClientCore = {
    kafka,
    names,
    logger,
    tracer: options.tracer ?? NO_TRACING,
    connectProducer: async () => {
      await producer.get();
    },
    send: (topic, messages) => sharedRequests.send(topic, messages),
    admin: () => admin.get(),
    createTransactionalProducer: (transactionalId, transactionTimeout) =>
      kafka.producer({
        ...producerOptions,
        // The same placement as the default, noted per message so a shared request answers each publish's offsets.
        createPartitioner: recordingPartitioner,
        transactionalId,
        transactionTimeout,
        // A new transaction often starts while the broker is still completing the previous one and is answered
        // CONCURRENT_TRANSACTIONS; kafkajs's default first retry (300 ms) made every transaction wait for it
        // (13 transactions/s, test/bench). Java's producer retries after 20 ms; so do we, with the same budget.
        retry: TRANSACTIONAL_PRODUCER_RETRY,
      }),
    assertOpen() {
      if (closing !== undefined) throw new Error('the Kafka client is closed');
    },
    track(subscription) {
      subscriptions.add(subscription);
      // Started while close() was running: stop it too rather than leave it consuming.
      if (closing !== undefined) void subscription.stop().catch(() => undefined);
      return () => subscriptions.delete(subscription);
    },
    claimTransactionalId(id) {
      if (transactionalIds.has(id)) throw new Error(`transactional id "${id}" is already in use in this process`);
      transactionalIds.add(id);
      return () => transactionalIds.delete(id);
    },
  };

  /**
   * A request-side write on a closed client (the process is stopping) is Kafka being unavailable to the request:
   * DependencyUnavailableError, answered 503 `not-ready` like a lost broker, never a 500.
   */
  function assertOpenForRequest(): void {
    if (closing !== undefined) {
      throw new DependencyUnavailableError('kafka', { cause: new Error('the Kafka client is closed') });
    }
  }

  /** What shutdown() still waits for, by name only (consumer groups, transactional ids, producer, admin). */
  const stillClosing = new Set<string>();
  const closingAs = (name: string, work: Promise<void>): Promise<void> => {
    stillClosing.add(name);
    return work.finally(() => {
      stillClosing.delete(name);
    });
  };

  async function shutdown(): Promise<void> {
    const results = await Promise.allSettled(
      [...subscriptions].map((subscription) => closingAs(`group ${subscription.groupId}`, subscription.stop())),
    );
    results.push(
      ...(await Promise.allSettled([
        closingAs(
          'producer',
          sharedRequests.close(new Error('the Kafka client is closed')).then(() => producer.close()),
        ),
        closingAs('admin', admin.close()),
        ...[...groupCommits].map(([id, groups]) => closingAs(`transactions ${id}`, groups.close())),
      ])),
    );
    const failures = results.filter((result) => result.status === 'rejected');
    if (failures.length > 0) logger.error({ failures: failures.length }, 'Kafka client closed with errors');
    else logger.info('Kafka client closed');
  }

  return {
    physicalTopic: (topic) => names.topic(typeof topic === 'string' ? topic : topic.name),
    provisionTopics: async (topics) => {
      core.assertOpen();
      return provisionTopics(core, topics, options.durability ?? 'local');
    },
    // A closed client is not ready, and must not reconnect just to say so.
    ping: async (timeoutMs) => (closing === undefined ? ping(core, timeoutMs) : false),
    waitUntilReady: async (timeoutMs) => {
      core.assertOpen();
      await waitUntilReady(core, timeoutMs);
    },
    lag: async (groupId, topic) => {
      core.assertOpen();
      return groupLag(core, groupId, topic);
    },
    deadLetterDepth: async (topic) => {
      core.assertOpen();
      return deadLetterDepth(core, topic);
    },
    groupMembers: async (groupId) => {
      core.assertOpen();
      return groupMembers(core, groupId);
    },
    deleteGroup: async (groupId) => {
      core.assertOpen();
      return deleteGroup(core, groupId);
    },
    deleteNamespaceTopics: async () => {
      core.assertOpen();
      return deleteNamespaceTopics(core);
    },
    publish: async (topic, messages) => {
      assertOpenForRequest();
      await requestSide(requestDeadlineMs, () => publish(core, topic, messages));
    },
    transaction: async (transactionalId, work) => {
      assertOpenForRequest();
      let groups = groupCommits.get(transactionalId);
      if (groups === undefined) {
        const pool = createTransactionPool(core, {
          physicalIdPrefix: `${names.transactionalId(transactionalId)}.${instanceName}`,
          size: DEFAULTS.transactionPoolSize,
          transactionTimeoutMs: DEFAULTS.requestTransactionTimeoutMs,
        });
        groups = createGroupCommit(core, pool, options.groupCommit);
        groupCommits.set(transactionalId, groups);
      }
      const running = groups;
      return requestSide(requestDeadlineMs, () => running.run(work));
    },
    consume: async (topic, consumeOptions) => {
      core.assertOpen();
      return consume(core, topic, consumeOptions);
    },
    processTransactionally: async (topic, transactionalOptions) => {
      core.assertOpen();
      return processTransactionally(core, topic, transactionalOptions);
    },
    deadLetters: async (topic) => {
      core.assertOpen();
      return listDeadLetters(core, topic);
    },
    redrive: async (topic, at) => {
      core.assertOpen();
      return redriveDeadLetter(core, topic, at);
    },
    close: () => {
      closing ??= shutdown();
      return closing;
    },
    stillClosing: () => [...stillClosing],
  };
}
