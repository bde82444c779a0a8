import type { EachMessagePayload } from 'kafkajs';
import type { TopicSpec } from '@hub/contracts';
import { withContext } from '@hub/logger';
import type { ClientCore } from './client.ts';
import { consumerConfig } from './consumer-config.ts';
import { deadLetterMessage, describeError, handlerFailedDetail, type DeadLetterReason } from './dead-letter.ts';
import { nextOffset, readInbound } from './inbound.ts';
import { DEFAULTS } from './limits.ts';
import { runWithRetries } from './handler-retry.ts';
import { checkRetryPolicy } from './retry.ts';
import type { ConsumeOptions, Subscription } from './types.ts';

/**
 * At-least-once consumption. Per message: decode, check the contract, run the handler in the message's trace
 * context with retries, dead-letter what cannot be handled, and only then commit the offset. If the dead-letter write
 * fails the offset is not committed and the error goes to kafkajs, which restarts the consumer: the message comes
 * back rather than being lost.
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

  // Connect the dead-letter writer first: a consumer that cannot dead-letter should not start.
  const producer = await core.producer();
  const consumer = core.kafka.consumer(config);

  async function deadLetter(payload: EachMessagePayload, reason: DeadLetterReason, detail: string): Promise<void> {
    const { partition, message } = payload;
    if (options.replay === true) {
      log.warn(
        { partition, offset: message.offset, reason },
        'replay: message skipped (dead-lettered when first handled)',
      );
      return;
    }
    try {
      await producer.send({
        topic: deadLetterTopic,
        acks: -1,
        messages: [
          deadLetterMessage({
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
          }),
        ],
      });
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

  async function eachMessage(payload: EachMessagePayload): Promise<void> {
    const { partition, message } = payload;
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const inbound = readInbound(topic, partition, message);
    const traceId = inbound.ok ? inbound.message.traceId : inbound.traceId;
    await withContext({ traceId }, async () => {
      if (!inbound.ok) {
        await deadLetter(payload, inbound.reason, inbound.detail);
      } else {
        const handled = inbound.message;
        const outcome = await runWithRetries(() => options.handle(handled), {
          log,
          policy,
          partition,
          offset: message.offset,
          heartbeat,
          heartbeatIntervalMs: config.heartbeatInterval,
          signal: stopping.signal,
        });
        if (outcome === 'abandoned') {
          log.info({ partition, offset: message.offset }, 'stopping: retry abandoned, offset not committed');
          return;
        }
        if (!outcome.ok)
          await deadLetter(payload, 'handler-failed', handlerFailedDetail(outcome.error, policy.attempts));
      }
      await consumer.commitOffsets([{ topic: physicalTopic, partition, offset: nextOffset(message.offset) }]);
    });
  }

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const { name, code } = describeError(payload.error);
    log.error({ errorName: name, errorCode: code, restart: payload.restart }, 'consumer crashed');
  });

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [physicalTopic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 1, eachMessage });
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
          // kafkajs's stop waits for the in-flight eachMessage, then leaves the group.
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
