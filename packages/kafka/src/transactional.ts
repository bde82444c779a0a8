import type { EachBatchPayload, KafkaMessage, TopicMessages, Transaction } from 'kafkajs';
import type { TopicSpec } from '@hub/contracts';
import { inSpan } from '@hub/tracing';
import { abortOrReset } from './abort-or-reset.ts';
import type { ClientCore } from './client.ts';
import { consumerConfig } from './consumer-config.ts';
import { restartAfterCrash } from './crash-restart.ts';
import { deadLetterOf, describeError, handlerFailedDetail, type DeadLetterReason } from './dead-letter.ts';
import { nextOffset, readInbound, type InboundResult } from './inbound.ts';
import { inputRecords, produceRequests, type InputRecords } from './batch-outputs.ts';
import { createPartitionProducers, type PartitionProducer } from './partition-producers.ts';
import { classifyKafkaError, type KafkaErrorKind } from './kafka-errors.ts';
import { DEFAULTS, LIMITS } from './limits.ts';
import { prepareBatch } from './outbound.ts';
import { NotYetError, retryContextAt, runInBatch, type ConsumerRetry, type FailedFirst } from './handler-retry.ts';
import { backoffDelay, checkRetryPolicy, sleepWithHeartbeat } from './retry.ts';
import type { InboundMessage, Output, StageHandler, Subscription, TransactionalOptions } from './types.ts';

/**
 * Consume-transform-produce, exactly once within Kafka, a fetched batch at a time: the outputs of a partition's
 * fetched inputs (dead letters included) and the offset after the last one are committed in one transaction, so after
 * any crash or restart either all of it is visible (to read_committed readers) or none is, and the batch is handled
 * again. A batch is committed in several transactions when it has more than LIMITS.maxInputsPerCommit inputs or
 * LIMITS.maxTransactionBytes of outputs. Inputs that cannot be decoded, fail their contract, or whose handler keeps
 * failing become their dead letter in the same transaction; a handler that fails (or must wait) has the inputs before
 * it committed first and is retried alone. Handlers run before the transaction opens, so a slow one never holds it.
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
  const retry: ConsumerRetry = { log, policy, heartbeatIntervalMs: config.heartbeatInterval, signal: stopping.signal };
  const producers = createPartitionProducers(core, {
    groupId,
    physicalTopic,
    transactionalIdPrefix,
    transactionTimeoutMs: options.transactionTimeoutMs ?? DEFAULTS.transactionTimeoutMs,
  });
  // The prefix is claimed too, so a second processor with the same prefix in this client fails at start.
  const release = core.claimTransactionalId(transactionalIdPrefix);
  const consumer = core.kafka.consumer(config);

  function deadLetterRecords(
    partition: number,
    message: KafkaMessage,
    reason: DeadLetterReason,
    detail: string,
  ): InputRecords {
    const record = deadLetterOf({ topic: physicalTopic, partition, consumerGroup: groupId }, message, reason, detail);
    return inputRecords(message.offset, [{ topic: deadLetterTopic, messages: [record] }], reason);
  }

  /**
   * One input's records: its outputs (`handle` plus output checks, retried), or its dead letter. 'abandoned' when the
   * consumer stopped during a retry; `failedFirst` (only with `holdOnFailure`) when its first try failed.
   */
  async function handleInput(
    payload: EachBatchPayload,
    message: KafkaMessage,
    inbound: InboundResult<T>,
    handle: StageHandler<T>,
    holdOnFailure: boolean,
    firstFailure: FailedFirst['failedFirst'] | undefined,
  ): Promise<InputRecords | 'abandoned' | FailedFirst> {
    const { partition } = payload.batch;
    // The input's span, child of the one that published it; its outputs name it as their parent.
    const span = core.tracer.processSpan(
      { topic: topic.name, group: options.groupId, partition, offset: message.offset },
      inbound.parent,
    );
    try {
      return await inSpan(span, async () => {
        if (!inbound.ok) {
          span.fail(inbound.reason);
          return deadLetterRecords(partition, message, inbound.reason, inbound.detail);
        }
        const handled = inbound.message;
        const computed = await runInBatch(
          async () => toTopicMessages(core, await handle(handled), span.traceparent),
          retryContextAt(retry, payload, partition, message.offset, firstFailure),
          holdOnFailure,
        );
        if (computed === 'abandoned' || !('ok' in computed)) return computed;
        if (!computed.ok) {
          span.fail('handler-failed');
          return deadLetterRecords(
            partition,
            message,
            'handler-failed',
            handlerFailedDetail(computed.error, policy.attempts),
          );
        }
        return inputRecords(message.offset, computed.value);
      });
    } finally {
      span.end();
    }
  }

  type Committed =
    | { readonly committed: true }
    | { readonly committed: false; readonly kind: KafkaErrorKind; readonly error: unknown };

  /** One transaction: the inputs' records, then the offset after the last, then commit. Aborted on any error. */
  async function commitInputs(
    owned: PartitionProducer,
    partition: number,
    inputs: readonly InputRecords[],
  ): Promise<Committed> {
    const last = inputs.at(-1);
    if (last === undefined) return { committed: true };
    let transaction: Transaction | undefined;
    let sending = false;
    try {
      transaction = await (await owned.connection.get()).transaction();
      sending = true;
      for (const topicMessages of produceRequests(inputs, LIMITS.maxTransactionBytes)) {
        await transaction.sendBatch({ topicMessages, acks: -1 });
      }
      sending = false;
      await transaction.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: physicalTopic, partitions: [{ partition, offset: nextOffset(last.offset) }] }],
      });
      await transaction.commit();
      return { committed: true };
    } catch (error) {
      // A failed send may have been written: the producer is then replaced (abort-or-reset.ts).
      await abortOrReset(transaction, { close: () => producers.reset(partition, owned) }, log, sending);
      return { committed: false, kind: classifyKafkaError(error), error };
    }
  }

  /** Tells `onBatch` (metrics) what a transaction did; an observer's failure never reaches the loop. */
  function report(round: readonly InputRecords[], committed: boolean, durationMs: number): void {
    if (options.onBatch === undefined) return;
    const deadLettered = round.filter((input) => input.deadLettered !== undefined).length;
    const outputs = round
      .filter((input) => input.deadLettered === undefined)
      .reduce((sum, input) => sum + input.records.reduce((n, { messages }) => n + messages.length, 0), 0);
    try {
      options.onBatch({ inputs: round.length, outputs, deadLettered, failed: !committed, durationMs });
    } catch (error) {
      log.warn({ errorName: describeError(error).name }, 'batch observer failed');
    }
  }

  /** Inputs below `committedFrom` were committed by the partition's previous owner: resolved, not handled. */
  function skipCommitted(
    payload: EachBatchPayload,
    todo: readonly KafkaMessage[],
    committedFrom: bigint,
  ): readonly KafkaMessage[] {
    const { partition } = payload.batch;
    const first = todo.findIndex((message) => BigInt(message.offset) >= committedFrom);
    const skipped = first === -1 ? todo : todo.slice(0, first);
    for (const { offset } of skipped) {
      log.debug({ partition, offset }, 'input already committed by the previous owner; skipped');
    }
    const lastSkipped = skipped.at(-1);
    if (lastSkipped !== undefined) payload.resolveOffset(lastSkipped.offset);
    return first === -1 ? [] : todo.slice(first);
  }

  /**
   * The round's inputs read once (handleInput takes them from here), and the handler for the round: `prepareRound`'s,
   * or `handle` without one or when it fails (a failed prefetch is nobody's failure: every input is handled as usual).
   */
  async function prepare(
    partition: number,
    inputs: readonly KafkaMessage[],
  ): Promise<{ readonly read: ReadonlyMap<string, InboundResult<T>>; readonly handle: StageHandler<T> }> {
    const read = new Map(inputs.map((message) => [message.offset, readInbound(topic, partition, message)] as const));
    const readable = [...read.values()].flatMap((inbound): InboundMessage<T>[] =>
      inbound.ok ? [inbound.message] : [],
    );
    if (options.prepareRound === undefined || readable.length === 0) return { read, handle: options.handle };
    try {
      return { read, handle: await options.prepareRound(readable) };
    } catch (error) {
      const { name, code } = describeError(error);
      // A view not ready yet (NotYetError) is no failure: the inputs wait in `handle`, as they would without this.
      const level = error instanceof NotYetError ? 'info' : 'warn';
      log[level](
        { partition, errorName: name, errorCode: code },
        'round preparation failed; handling its inputs alone',
      );
      return { read, handle: options.handle };
    }
  }

  const wait = (payload: EachBatchPayload, ms: number): Promise<boolean> =>
    sleepWithHeartbeat(ms, config.heartbeatInterval, () => payload.heartbeat(), stopping.signal);

  /**
   * A fetched batch of one partition: rounds of inputs handled in order (by the handler `prepareRound` answers for
   * the round, if any) and committed in one transaction each. A round ends when full (LIMITS), when an input's first
   * try fails (the round is committed, then that input retried alone), or when the consumer stops (what was handled
   * is committed). A failed transaction is aborted and its round
   * handled again: after a transient Kafka error with backoff (DEFAULTS.transactionRetry, then the consumer crashes
   * and kafkajs restarts it); after any other error (about what the round writes, e.g. a record too large) its inputs
   * are committed one per transaction, and an input whose own transaction keeps failing is dead-lettered.
   */
  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { partition } = payload.batch;
    const { assignment } = await producers.forPartition(partition);
    let todo: readonly KafkaMessage[] = payload.batch.messages;
    let alone = 0; // inputs to commit one per transaction: a transaction of several failed for good
    let firstFailure: FailedFirst['failedFirst'] | undefined; // todo[0]'s first try, when it failed
    let deadLetterFirst: string | undefined; // todo[0]'s outputs cannot be written: its dead letter's detail
    let failures = { transient: 0, permanent: 0 };
    while (payload.isRunning() && !payload.isStale()) {
      // The same producer unless it was reset: then the partition is fenced in afresh and its offset read again.
      const owned = await producers.forPartition(partition, assignment);
      const left = skipCommitted(payload, todo, owned.committedFrom);
      if (left.length !== todo.length) {
        todo = left;
        firstFailure = deadLetterFirst = undefined;
      }
      const round: InputRecords[] = [];
      let bytes = 0;
      let held: FailedFirst['failedFirst'] | undefined;
      let interrupted: { readonly error: unknown } | undefined;
      const limit = alone > 0 ? 1 : LIMITS.maxInputsPerCommit;
      const prepared = await prepare(partition, todo.slice(deadLetterFirst === undefined ? 0 : 1, limit));
      for (const message of todo) {
        if (round.length >= limit) break;
        if (!payload.isRunning() || payload.isStale()) break;
        const first = round.length === 0;
        const handled =
          first && deadLetterFirst !== undefined
            ? deadLetterRecords(partition, message, 'handler-failed', deadLetterFirst)
            : await handleInput(
                payload,
                message,
                prepared.read.get(message.offset) ?? readInbound(topic, partition, message),
                prepared.handle,
                !first,
                first ? firstFailure : undefined,
              );
        if (handled === 'abandoned') break;
        if ('failedFirst' in handled) {
          held = handled.failedFirst;
          break;
        }
        // Over the size limit: it opens the next transaction, handled again there (handlers are pure).
        if (!first && bytes + handled.bytes > LIMITS.maxTransactionBytes) break;
        round.push(handled);
        bytes += handled.bytes;
        try {
          await payload.heartbeat();
        } catch (error) {
          // The group is rebalancing (or dropped this member): the round is committed before rejoining, which the
          // partition's producer fence refuses if the partition has a new owner already.
          interrupted = { error };
          break;
        }
      }
      const last = round.at(-1);
      if (last === undefined) return; // stopping: nothing handled, nothing committed

      const startedAt = performance.now();
      const outcome = await commitInputs(owned, partition, round);
      report(round, outcome.committed, performance.now() - startedAt);
      if (outcome.committed) {
        payload.resolveOffset(last.offset);
        todo = todo.slice(round.length);
        alone = Math.max(0, alone - round.length);
        firstFailure = held;
        deadLetterFirst = undefined;
        failures = { transient: 0, permanent: 0 };
        for (const { offset, deadLettered } of round) {
          if (deadLettered !== undefined)
            log.warn({ partition, offset, reason: deadLettered }, 'message dead-lettered');
        }
        log.debug(
          { partition, inputs: round.length, firstOffset: round[0]?.offset, lastOffset: last.offset },
          'transaction committed',
        );
        if (interrupted !== undefined) throw interrupted.error;
        await payload.heartbeat();
        if (todo.length === 0) return;
        continue;
      }

      const { kind, error } = outcome;
      const { name, code } = describeError(error);
      const where = {
        partition,
        offset: round[0]?.offset,
        inputs: round.length,
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
        await producers.reset(partition, owned).catch(() => undefined);
        throw Object.assign(new Error('partition producer fenced: rejoining the group'), {
          type: 'UNKNOWN_MEMBER_ID',
          cause: error,
        });
      }
      if (interrupted !== undefined) throw interrupted.error;
      if (kind === 'transient') {
        // Kafka itself is unwell (kafkajs issue 430: CONCURRENT_TRANSACTIONS from sendOffsets is not retried by
        // kafkajs); dead-lettering would likely fail too, and would bury good inputs.
        const count = ++failures.transient;
        if (count >= DEFAULTS.transactionRetry.attempts) throw error;
        const delayMs = backoffDelay(count, DEFAULTS.transactionRetry);
        log.warn({ ...where, attempt: count, delayMs }, 'transaction failed; handling its inputs again');
        if (!(await wait(payload, delayMs))) return;
        continue;
      }
      if (round.length > 1) {
        alone = round.length;
        log.warn(where, 'transaction failed; committing its inputs one by one');
        continue;
      }
      // One input whose records cannot be written: its own budget, then its dead letter (a dead letter that cannot
      // be written either crashes the consumer: the input is fetched again, never dropped).
      const count = ++failures.permanent;
      if (count >= policy.attempts) {
        if (last.deadLettered !== undefined) {
          log.error({ ...where, reason: last.deadLettered }, 'dead-letter transaction failed; offset not committed');
          throw error;
        }
        deadLetterFirst = handlerFailedDetail(error, policy.attempts);
        failures.permanent = 0;
        continue;
      }
      const delayMs = backoffDelay(count, policy);
      log.warn({ ...where, attempt: count, delayMs }, 'transaction failed; retrying it');
      if (!(await wait(payload, delayMs))) return;
    }
  }

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    producers.reassigned(payload.memberAssignment[physicalTopic] ?? []);
  });
  const run = () =>
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: topic.partitions,
      eachBatch,
    });
  restartAfterCrash(consumer, run, log, stopping.signal);

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [physicalTopic], fromBeginning: options.fromBeginning ?? true });
    await run();
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

/** Checks each output against its contract and groups them per physical topic, each naming the input's span as parent. */
function toTopicMessages(core: ClientCore, outputs: readonly Output[], traceparent: string): TopicMessages[] {
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
    messages: prepareBatch(topic, messages, traceparent),
  }));
}
