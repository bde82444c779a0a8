import type { TopicSpec } from '@hub/contracts';
import { currentTraceparent } from '@hub/tracing';
import type { ClientCore } from './client.ts';
import { prepareBatch } from './outbound.ts';
import type { OutboundMessage } from './types.ts';

/**
 * Typed publish on the client's shared idempotent producer (acks=all, one request in flight, so retries neither
 * duplicate nor reorder). The whole batch is validated first; each record names the current span as its parent (or
 * starts a trace shared by the batch).
 */
export async function publish<T extends TopicSpec>(
  core: ClientCore,
  topic: T,
  messages: readonly OutboundMessage<T>[],
): Promise<void> {
  const prepared = prepareBatch(topic, messages, currentTraceparent());
  if (prepared.length === 0) return;
  const producer = await core.producer();
  await producer.send({ topic: core.names.topic(topic.name), messages: prepared, acks: -1 });
}
