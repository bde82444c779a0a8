import type { TopicSpec } from '@hub/contracts';
import { DependencyUnavailableError } from '@hub/errors';
import { currentTraceparent } from '@hub/tracing';
import type { ClientCore } from './client.ts';
import { isKafkaFailure } from './kafka-errors.ts';
import { prepareBatch } from './outbound.ts';
import type { OutboundMessage } from './types.ts';

/**
 * Typed publish on the client's shared idempotent producer (acks=all; publishes made together share one produce
 * request, `ClientCore.send`). The whole batch is validated first; each record names the current span as its parent (or
 * starts a trace shared by the batch). A contract violation is thrown before Kafka is touched; whatever the connect or
 * send throws after that is Kafka's failure, whatever its name (kafkajs does not name every error it lets out as its
 * own): DependencyUnavailableError('kafka'), answered 503, never 500.
 */
export async function publish<T extends TopicSpec>(
  core: ClientCore,
  topic: T,
  messages: readonly OutboundMessage<T>[],
): Promise<void> {
  const prepared = prepareBatch(topic, messages, currentTraceparent());
  if (prepared.length === 0) return;
  try {
    await core.send(core.names.topic(topic.name), prepared);
  } catch (error) {
    if (!isKafkaFailure(error)) {
      // Rare enough to name: which error kafkajs let out (its name only; the message may hold broker addresses).
      const errorName = error instanceof Error ? error.name : typeof error;
      core.logger.warn(
        { errorName },
        'kafkajs failed a publish with an error of its own kind: answered as unavailable',
      );
    }
    throw new DependencyUnavailableError('kafka', { cause: error });
  }
}
