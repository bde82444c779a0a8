import type { EachMessagePayload, Message, TopicMessages } from 'kafkajs';
import type { TopicSpec } from '@hub/contracts';
import { withContext, type Logger } from '@hub/logger';
import type { ClientCore } from './client.ts';
import { consumerConfig } from './consumer-config.ts';
import { deadLetterMessage, describeError, handlerFailedDetail, type DeadLetterReason } from './dead-letter.ts';
import { nextOffset, readInbound } from './inbound.ts';
import { createPartitionProducers } from './partition-producers.ts';
import { classifyKafkaError, type KafkaErrorKind } from './kafka-errors.ts';
import { DEFAULTS, LIMITS } from './limits.ts';
import { prepareBatch } from './outbound.ts';
import { runWithRetries } from './handler-retry.ts';
import { backoffDelay, checkRetryPolicy, sleepWithHeartbeat } from './retry.ts';
import type { Output, Subscription, TransactionalOptions } from './types.ts';

/** Aborts if the transaction is still open; when even that fails, drops the producer so the next use re-initialises it. */
export async function abortOrReset(
  transaction: { isActive(): boolean; abort(): Promise<void> },
  producer: { close(): Promise<void> },
  logger: Logger,
): Promise<void> {
  try {
    if (transaction.isActive()) await transaction.abort();
  } catch (error) {
    // e.g. a commit that failed half-way leaves kafkajs in a state it cannot abort from. A fresh producer's
    // InitProducerId makes the coordinator abort whatever is pending under this transactional id.
    const { name, code } = describeError(error);
    logger.warn({ errorName: name, errorCode: code }, 'transaction abort failed; resetting the transactional producer');
    await producer.close().catch(() => undefined);
  }
}

/**
 * Consume-transform-produce, exactly once within Kafka: for each input, the handler's outputs and the input's next
 * offset are committed in one transaction, so after any crash or restart either both are visible (to read_committed
 * readers) or neither is. Inputs that cannot be decoded, fail their contract, or whose handler keeps failing are
 * dead-lettered the same way: dead-letter record and offset in one transaction.
 *
 * Each input partition has its own transactional producer (partition-producers.ts), so partitions are processed
 * concurrently, each in order, and any number of instances may share the group.
 */
export async function processTransactionally<T extends TopicSpec>(
  core: ClientCore,
  topic: T,
  options: TransactionalOptions<T>,
): Promise<Subscription> {
  const policy = checkRetryPolicy(options.retry ?? DEFAULTS.retry);
  const groupId = core.names.group(options.groupId);
  const transactionalIdPrefix = core.names.transactionalId(options.transactionalId);
  const physicalTopic = core.names.topic(topic.name);
  const deadLetterTopic = core.names.deadLetter(topic.name);
  const config = consumerConfig(groupId, options);
  const log = core.logger.child({
    component: 'kafka-processor',
    topic: topic.name,
    groupId,
    transactionalId: transactionalIdPrefix,
  });
  const stopping = new AbortController();
  const producers = createPartitionProducers(core, {
    groupId,
    physicalTopic,
    transactionalIdPrefix,
    transactionTimeoutMs: options.transactionTimeoutMs ?? DEFAULTS.transactionTimeoutMs,
  });
  // The prefix is claimed too, so a second processor with the same prefix in this client fails at start.
  const release = core.claimTransactionalId(transactionalIdPrefix);
  const consumer = core.kafka.consumer(config);

  /**
   * One transaction: records, then the input's offset, then commit. Aborted (or the producer reset) on any error.
   * After a reset the partition is fenced in afresh: if another owner committed this input meanwhile, it is done.
   */
  async function commitOnce(records: readonly TopicMessages[], input: Input): Promise<void> {
    const { payload } = input;
    const { connection, committedFrom } = await producers.forPartition(payload.partition, input.assignment);
    if (BigInt(payload.message.offset) < committedFrom) return;
    const transaction = await (await connection.get()).transaction();
    try {
      if (records.length > 0) await transaction.sendBatch({ topicMessages: [...records], acks: -1 });
      await transaction.sendOffsets({
        consumerGroupId: groupId,
        topics: [
          {
            topic: physicalTopic,
            partitions: [{ partition: payload.partition, offset: nextOffset(payload.message.offset) }],
          },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await abortOrReset(transaction, { close: () => producers.reset(payload.partition) }, log);
      throw error;
    }
  }

  /** An input, and the partition assignment it is processed under. */
  interface Input {
    readonly payload: EachMessagePayload;
    readonly assignment: number;
  }

  type Committed =
    | { readonly committed: true }
    | { readonly committed: false; readonly kind: KafkaErrorKind; readonly error: unknown };

  /**
   * Retries the whole transaction (kafkajs issue 430: CONCURRENT_TRANSACTIONS from sendOffsets is not retried by
   * kafkajs). Transient Kafka errors get DEFAULTS.transactionRetry; anything else (e.g. a record too large for the
   * broker) gets the handler's budget, as it is about this input. Fenced: throws at once, this instance is a zombie.
   * Answers the last failure once a budget is spent, or 'abandoned' when stopping.
   */
  async function commitWithRetries(records: readonly TopicMessages[], input: Input): Promise<Committed | 'abandoned'> {
    const { payload } = input;
    const failures = { transient: 0, permanent: 0 };
    for (;;) {
      try {
        await commitOnce(records, input);
        return { committed: true };
      } catch (error) {
        const kind = classifyKafkaError(error);
        const { name, code } = describeError(error);
        const where = {
          partition: payload.partition,
          offset: payload.message.offset,
          kind,
          errorName: name,
          errorCode: code,
        };
        if (kind === 'fenced') {
          // Another instance owns the partition: this member lost it (e.g. its session expired in a long handler).
          // kafkajs rejoins the group as a new member on UNKNOWN_MEMBER_ID (consumer/runner.js); a fenced error as
          // such is not retriable and would stop the consumer for good. The partition is fenced in again only if it
          // is assigned here again.
          log.warn(where, 'partition producer fenced by its new owner; rejoining the group');
          await producers.reset(payload.partition).catch(() => undefined);
          throw Object.assign(new Error('partition producer fenced: rejoining the group'), {
            type: 'UNKNOWN_MEMBER_ID',
            cause: error,
          });
        }
        const count = ++failures[kind];
        const budget = kind === 'transient' ? DEFAULTS.transactionRetry : policy;
        if (count >= budget.attempts) return { committed: false, kind, error };
        const delayMs = backoffDelay(count, budget);
        log.warn({ ...where, attempt: count, delayMs }, 'transaction failed; retrying it');
        if (
          !(await sleepWithHeartbeat(delayMs, config.heartbeatInterval, () => payload.heartbeat(), stopping.signal))
        ) {
          return 'abandoned';
        }
      }
    }
  }

  async function deadLetter(input: Input, reason: DeadLetterReason, detail: string): Promise<void> {
    const { partition, message } = input.payload;
    const record: Message = deadLetterMessage({
      reason,
      detail,
      record: {
        topic: physicalTopic,
        partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers: message.headers,
      },
      consumerGroup: groupId,
      failedAt: new Date(),
    });
    const outcome = await commitWithRetries([{ topic: deadLetterTopic, messages: [record] }], input);
    if (outcome === 'abandoned') return;
    if (!outcome.committed) {
      const { name, code } = describeError(outcome.error);
      log.error(
        { partition, offset: message.offset, reason, errorName: name, errorCode: code },
        'dead-letter transaction failed; offset not committed, the message will be redelivered',
      );
      throw outcome.error;
    }
    log.warn({ partition, offset: message.offset, reason }, 'message dead-lettered');
  }

  async function eachMessage(payload: EachMessagePayload): Promise<void> {
    const { partition, message } = payload;
    const owned = await producers.forPartition(partition);
    const input: Input = { payload, assignment: owned.assignment };
    // Inputs the partition's previous owner committed after the consumer fetched its start offset: already done.
    if (BigInt(message.offset) < owned.committedFrom) {
      log.debug({ partition, offset: message.offset }, 'input already committed by the previous owner; skipped');
      return;
    }
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const inbound = readInbound(topic, partition, message);
    const traceId = inbound.ok ? inbound.message.traceId : inbound.traceId;
    await withContext({ traceId }, async () => {
      if (!inbound.ok) {
        await deadLetter(input, inbound.reason, inbound.detail);
        return;
      }
      const handled = inbound.message;
      // Handler plus output checks, retried; the outputs become kafkajs batches.
      const computed = await runWithRetries(
        async () => toTopicMessages(core, await options.handle(handled), handled.traceId),
        {
          log,
          policy,
          partition: payload.partition,
          offset: payload.message.offset,
          heartbeat,
          heartbeatIntervalMs: config.heartbeatInterval,
          signal: stopping.signal,
        },
      );
      if (computed === 'abandoned') return;
      if (!computed.ok) {
        await deadLetter(input, 'handler-failed', handlerFailedDetail(computed.error, policy.attempts));
        return;
      }
      const outcome = await commitWithRetries(computed.value, input);
      if (outcome === 'abandoned' || outcome.committed) return;
      if (outcome.kind === 'transient') {
        // Kafka itself is unwell; dead-lettering would likely fail too, and would bury a good message.
        throw outcome.error;
      }
      // The outputs themselves cannot be written (e.g. too large for the broker): the input goes to the DLQ.
      await deadLetter(input, 'handler-failed', handlerFailedDetail(outcome.error, policy.attempts));
    });
  }

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const { name, code } = describeError(payload.error);
    log.error({ errorName: name, errorCode: code, restart: payload.restart }, 'processor consumer crashed');
  });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    producers.reassigned(payload.memberAssignment[physicalTopic] ?? []);
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [physicalTopic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: topic.partitions,
      eachMessage,
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    await producers.closeAll().catch(() => undefined);
    release();
    throw error;
  }
  log.info('transactional processor started');

  let stopped: Promise<void> | undefined;
  const subscription: Subscription = {
    groupId,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        try {
          await consumer.disconnect();
          log.info('transactional processor stopped');
        } finally {
          await producers.closeAll().catch(() => undefined);
          release();
          untrack();
        }
      })();
      return stopped;
    },
  };
  const untrack = core.track(subscription);
  return subscription;
}

/** Checks each output against its contract and groups them per physical topic, all carrying the input's trace id. */
function toTopicMessages(core: ClientCore, outputs: readonly Output[], traceId: string): TopicMessages[] {
  if (outputs.length > LIMITS.maxMessagesPerBatch) {
    throw new RangeError(`at most ${LIMITS.maxMessagesPerBatch} outputs per input, got ${outputs.length}`);
  }
  const byTopic = new Map<string, { topic: TopicSpec; messages: Output[] }>();
  for (const item of outputs) {
    const entry = byTopic.get(item.topic.name) ?? { topic: item.topic, messages: [] };
    entry.messages.push(item);
    byTopic.set(item.topic.name, entry);
  }
  return [...byTopic.values()].map(({ topic, messages }) => ({
    topic: core.names.topic(topic.name),
    messages: prepareBatch(topic, messages, traceId),
  }));
}
