import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { TopicSpec } from '@hub/contracts';
import { inSpan, type HubSpan } from '@hub/tracing';
import type { ClientCore } from './client.ts';
import { consumerConfig } from './consumer-config.ts';
import { restartAfterCrash } from './crash-restart.ts';
import { commitFilteredBatches, commitOffsetAfter } from './filtered-batches.ts';
import { deadLetterOf, describeError, handlerFailedDetail, type DeadLetterReason } from './dead-letter.ts';
import { readInbound, type InboundResult } from './inbound.ts';
import { DEFAULTS, LIMITS } from './limits.ts';
import { retryContextAt, runInBatch, runWithRetries, type ConsumerRetry, type FailedFirst } from './handler-retry.ts';
import { checkRetryPolicy } from './retry.ts';
import type { ConsumeOptions, InboundMessage, Subscription } from './types.ts';

/**
 * At-least-once consumption, a fetched batch at a time. Per message, in order: decode, check the contract, run the
 * handler in the message's trace context with retries, dead-letter what cannot be handled; the batch's offset is
 * committed once those are done (per LIMITS.maxInputsPerCommit messages). If a dead-letter write fails, the offset is
 * not committed past that message and the error goes to kafkajs, which fetches it again (and restarts the consumer
 * when that keeps failing): the message comes back rather than being lost.
 */
export async function consume<T extends TopicSpec>(
  core: ClientCore,
  topic: T,
  options: ConsumeOptions<T>,
): Promise<Subscription> {
  const policy = checkRetryPolicy(options.retry ?? DEFAULTS.retry);
  const groupId = core.names.group(options.groupId);
  const physicalTopic = core.names.topic(topic.name);
  const deadLetterTopic = core.names.deadLetter(topic.name);
  const config = consumerConfig(groupId, options);
  const log = core.logger.child({ component: 'kafka-consumer', topic: topic.name, groupId });
  const stopping = new AbortController();
  const retry: ConsumerRetry = { log, policy, heartbeatIntervalMs: config.heartbeatInterval, signal: stopping.signal };

  // Connect the dead-letter writer first: a consumer that cannot dead-letter should not start.
  await core.connectProducer();
  const consumer = core.kafka.consumer(config);

  async function deadLetter(
    partition: number,
    message: KafkaMessage,
    reason: DeadLetterReason,
    detail: string,
  ): Promise<void> {
    if (options.replay === true) {
      log.warn(
        { partition, offset: message.offset, reason },
        'replay: message skipped (dead-lettered when first handled)',
      );
      return;
    }
    try {
      const from = { topic: physicalTopic, partition, consumerGroup: groupId };
      await core.send(deadLetterTopic, [deadLetterOf(from, message, reason, detail)]);
    } catch (error) {
      const { name, code } = describeError(error);
      log.error(
        { partition, offset: message.offset, reason, errorName: name, errorCode: code },
        'dead-letter write failed; offset not committed, the message will be redelivered',
      );
      throw error;
    }
    log.warn({ partition, offset: message.offset, reason }, 'message dead-lettered');
  }

  /**
   * One message: decoded, checked, handled (or dead-lettered). 'abandoned' when the consumer stopped during a retry;
   * `failedFirst` (only with `holdOnFailure`) when its first try failed and the messages before it are to be committed
   * before it is retried.
   */
  async function handleMessage(
    payload: EachBatchPayload,
    message: KafkaMessage,
    holdOnFailure: boolean,
    firstFailure: FailedFirst['failedFirst'] | undefined,
  ): Promise<'done' | 'abandoned' | FailedFirst> {
    const { partition } = payload.batch;
    const inbound = readInbound(topic, partition, message);
    // The record's span, child of the one that published it; ended however the record ends (even abandoned).
    const span = core.tracer.processSpan(
      { topic: topic.name, group: options.groupId, partition, offset: message.offset },
      inbound.parent,
    );
    try {
      return await inSpan(span, () => handleInSpan(payload, message, inbound, span, holdOnFailure, firstFailure));
    } finally {
      span.end();
    }
  }

  /** handleMessage's work, inside the record's span (its log lines and its publishes carry the span). */
  async function handleInSpan(
    payload: EachBatchPayload,
    message: KafkaMessage,
    inbound: InboundResult<T>,
    span: HubSpan,
    holdOnFailure: boolean,
    firstFailure: FailedFirst['failedFirst'] | undefined,
  ): Promise<'done' | 'abandoned' | FailedFirst> {
    const { partition } = payload.batch;
    if (!inbound.ok) {
      span.fail(inbound.reason);
      await deadLetter(partition, message, inbound.reason, inbound.detail);
      return 'done';
    }
    const handled = inbound.message;
    const outcome = await runInBatch(
      () => options.handle(handled),
      retryContextAt(retry, payload, partition, message.offset, firstFailure),
      holdOnFailure,
    );
    if (outcome === 'abandoned') {
      log.info({ partition, offset: message.offset }, 'stopping: retry abandoned, offset not committed');
      return 'abandoned';
    }
    if ('failedFirst' in outcome) return outcome;
    if (!outcome.ok) {
      span.fail('handler-failed');
      await deadLetter(partition, message, 'handler-failed', handlerFailedDetail(outcome.error, policy.attempts));
    }
    return 'done';
  }

  /** A fetched batch of one partition: whole (`handleBatch`) or record by record. */
  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    if (options.handleBatch === undefined) await eachRecord(payload, payload.batch.messages);
    else await eachChunk(payload, options.handleBatch);
  }

  /**
   * With `handleBatch`: the fetched batch's records, LIMITS.maxInputsPerCommit at a time, handed over at once (the
   * caller writes them in one transaction of its own), then committed. A chunk that cannot be handed over whole (a
   * record that cannot be read, or the handler failing once; a NotYetError waits as for one record) is handled record
   * by record as without `handleBatch`, so a poison record is retried and dead-lettered alone and its chunk-mates are
   * neither lost nor repeated.
   */
  async function eachChunk(
    payload: EachBatchPayload,
    handleBatch: (messages: readonly InboundMessage<T>[]) => Promise<void>,
  ): Promise<void> {
    const { partition, messages } = payload.batch;
    for (
      let start = 0;
      start < messages.length && payload.isRunning() && !payload.isStale();
      start += LIMITS.maxInputsPerCommit
    ) {
      const chunk = messages.slice(start, start + LIMITS.maxInputsPerCommit);
      const read = chunk.map((message) => readInbound(topic, partition, message));
      const readable = read.flatMap((inbound) => (inbound.ok ? [inbound.message] : []));
      const last = chunk.at(-1);
      if (last === undefined) break;
      if (readable.length === chunk.length) {
        const spans = chunk.map((message, i) =>
          core.tracer.processSpan(
            { topic: topic.name, group: options.groupId, partition, offset: message.offset },
            read[i]?.parent,
          ),
        );
        const once = { ...retry, policy: { ...policy, attempts: 1 } };
        const offset = chunk[0]?.offset ?? last.offset;
        const outcome = await runWithRetries(
          () => handleBatch(readable),
          retryContextAt(once, payload, partition, offset),
        );
        for (const span of spans) span.end();
        if (outcome === 'abandoned') {
          log.info({ partition, offset: chunk[0]?.offset }, 'stopping: batch abandoned, offsets not committed');
          return;
        }
        if (outcome.ok) {
          payload.resolveOffset(last.offset);
          const committed = commitOffsetAfter(payload.batch, last.offset);
          await payload.commitOffsetsIfNecessary({
            topics: [{ topic: physicalTopic, partitions: [{ partition, offset: committed }] }],
          });
          log.debug({ partition, offset: committed, messages: chunk.length }, 'offsets committed');
          await payload.heartbeat();
          continue;
        }
        log.warn(
          { partition, offset: chunk[0]?.offset, messages: chunk.length },
          'batch failed; handling it record by record',
        );
      }
      if (!(await eachRecord(payload, chunk))) return;
    }
  }

  /**
   * Records of one partition, in order, with one offset commit per LIMITS.maxInputsPerCommit messages (and at the
   * end). A message whose handler fails (or must wait) has the messages before it committed first, then is retried
   * alone: nothing after it is handled or committed until it is done. False when it stopped before the end.
   */
  async function eachRecord(payload: EachBatchPayload, messages: readonly KafkaMessage[]): Promise<boolean> {
    const { partition } = payload.batch;
    let uncommitted: string | undefined; // the last message handled since the last commit
    let sinceCommit = 0;
    async function commit(): Promise<void> {
      if (uncommitted === undefined) return;
      const offset = commitOffsetAfter(payload.batch, uncommitted);
      // The consumer group's commit itself: unlike consumer.commitOffsets it also commits while stopping.
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: physicalTopic, partitions: [{ partition, offset }] }],
      });
      log.debug({ partition, offset, messages: sinceCommit }, 'offsets committed');
      uncommitted = undefined;
      sinceCommit = 0;
    }
    let firstFailure: FailedFirst['failedFirst'] | undefined;
    let index = 0;
    try {
      for (; index < messages.length && payload.isRunning() && !payload.isStale();) {
        const message = messages[index];
        if (message === undefined) break;
        const outcome = await handleMessage(payload, message, uncommitted !== undefined, firstFailure);
        firstFailure = undefined;
        if (outcome === 'abandoned') break;
        if (outcome !== 'done') {
          await commit();
          firstFailure = outcome.failedFirst;
          continue;
        }
        payload.resolveOffset(message.offset);
        uncommitted = message.offset;
        index++;
        if (++sinceCommit >= LIMITS.maxInputsPerCommit) await commit();
        await payload.heartbeat();
      }
    } catch (error) {
      // What was handled before the failure stays handled (e.g. a dead-letter write failed: that message comes back).
      await commit().catch(() => undefined);
      throw error;
    }
    await commit();
    return index === messages.length;
  }

  const run = () =>
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Each partition in order. A replay (a view's rebuild) takes the partitions side by side, as
      // processTransactionally does: a projector's view is written by any number of instances, a partition each, so
      // its writes already commute across partitions, and the replay then waits on one round trip per batch of each
      // partition, not of all partitions in turn. Live groups take them one at a time: live batches are small, and
      // side by side they cost the live path about a fifth of its burst drain (test/bench/README.md, session 8).
      partitionsConsumedConcurrently: options.replay === true ? topic.partitions : 1,
      eachBatch,
    });
  restartAfterCrash(consumer, run, log, stopping.signal);
  // A fetched batch of markers and aborted records only never reaches eachBatch: its offsets are committed there.
  commitFilteredBatches(consumer, log);

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [physicalTopic], fromBeginning: options.fromBeginning ?? true });
    await run();
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  log.info('consumer started');

  let stopped: Promise<void> | undefined;
  const subscription: Subscription = {
    groupId,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        try {
          // kafkajs's stop waits for the batch in hand (it stops after its in-flight message and commits what it
          // handled), then leaves the group.
          await consumer.disconnect();
          log.info('consumer stopped');
        } finally {
          untrack();
        }
      })();
      return stopped;
    },
  };
  const untrack = core.track(subscription);
  return subscription;
}
