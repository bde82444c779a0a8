import { randomUUID } from 'node:crypto';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { TopicSpec } from '@hub/contracts';
import type { ClientCore } from './client.ts';
import { DLQ_HEADERS, DLQ_REASONS, type DeadLetterReason } from './dead-letter.ts';
import { copyRawHeaders, readHeaders } from './headers.ts';
import { LIMITS } from './limits.ts';
import { withTimeout } from './retry.ts';

/** One dead-lettered record as an operator sees it: where it came from and why, never its key or value. */
export interface DeadLetterEntry {
  /** Its place in `<topic>.dlq`, which `redrive` takes. */
  readonly partition: number;
  readonly offset: string;
  readonly reason: DeadLetterReason | 'unknown';
  /** Never a value from the message (dead-letter.ts). */
  readonly detail: string;
  readonly original: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly consumerGroup: string;
  readonly failedAt: string;
}

/** Empty fetch rounds in a row after which a topic counts as read to its end. */
const IDLE_FETCHES = 3;
const READ_TIMEOUT_MS = 60_000;

function entryOf(partition: number, message: KafkaMessage): DeadLetterEntry {
  const headers = readHeaders(message.headers);
  const reason = headers[DLQ_HEADERS.reason];
  return {
    partition,
    offset: message.offset,
    reason: DLQ_REASONS.find((known) => known === reason) ?? 'unknown',
    detail: headers[DLQ_HEADERS.detail] ?? '',
    original: {
      topic: headers[DLQ_HEADERS.originalTopic] ?? '',
      partition: Number(headers[DLQ_HEADERS.originalPartition] ?? -1),
      offset: headers[DLQ_HEADERS.originalOffset] ?? '',
    },
    consumerGroup: headers[DLQ_HEADERS.consumerGroup] ?? '',
    failedAt: headers[DLQ_HEADERS.failedAt] ?? '',
  };
}

/**
 * Reads a topic from its start (read_committed, a throwaway group that commits nothing) until `visit` answers false
 * or nothing new has come for IDLE_FETCHES fetch rounds; bounded by READ_TIMEOUT_MS.
 */
async function readFromStart(
  core: ClientCore,
  physicalTopic: string,
  visit: (partition: number, message: KafkaMessage) => boolean,
): Promise<void> {
  const consumer = core.kafka.consumer({
    groupId: core.names.group(`dead-letter-reader-${randomUUID()}`),
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
  });
  let idle = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  consumer.on(consumer.events.FETCH, ({ payload }) => {
    idle = payload.numberOfBatches === 0 ? idle + 1 : 0;
    if (idle >= IDLE_FETCHES) done();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [physicalTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        idle = 0;
        if (!visit(partition, message)) done();
        return Promise.resolve();
      },
    });
    await withTimeout(finished, READ_TIMEOUT_MS, `reading ${physicalTopic}`);
  } finally {
    await consumer.disconnect();
  }
}

/** What is in `<topic>.dlq`, oldest first per partition: at most LIMITS.maxDeadLettersListed, and whether more. */
export async function listDeadLetters(
  core: ClientCore,
  topic: TopicSpec,
): Promise<{ entries: DeadLetterEntry[]; more: boolean }> {
  const entries: DeadLetterEntry[] = [];
  let more = false;
  await readFromStart(core, core.names.deadLetter(topic.name), (partition, message) => {
    if (entries.length === LIMITS.maxDeadLettersListed) {
      more = true;
      return false;
    }
    entries.push(entryOf(partition, message));
    return true;
  });
  return { entries, more };
}

/** A redrive the tool refuses; its message says why. */
export class RedriveRefusedError extends Error {
  override readonly name = 'RedriveRefusedError';
}

/**
 * Publishes the dead-lettered record at `<topic>.dlq` partition/offset again to `topic`: the original key, value
 * and headers (not the dlq-* ones), through the idempotent producer, so its consumer handles it once more. Only a
 * `handler-failed` record: one that broke its contract or could not be decoded would only fail again. Downstream
 * ids derive from content, so redriving a record twice, or one that was handled meanwhile, changes nothing.
 */
export async function redriveDeadLetter(
  core: ClientCore,
  topic: TopicSpec,
  at: { readonly partition: number; readonly offset: string },
): Promise<DeadLetterEntry> {
  let found: { entry: DeadLetterEntry; key: Buffer | null; value: Buffer | null; headers: IHeaders } | undefined;
  await readFromStart(core, core.names.deadLetter(topic.name), (partition, message) => {
    if (partition !== at.partition || message.offset !== at.offset) return true;
    found = {
      entry: entryOf(partition, message),
      key: message.key,
      value: message.value,
      headers: message.headers ?? {},
    };
    return false;
  });
  if (found === undefined) {
    throw new RedriveRefusedError(`no dead letter at partition ${at.partition}, offset ${at.offset}`);
  }
  const physicalTopic = core.names.topic(topic.name);
  if (found.entry.reason !== 'handler-failed') {
    throw new RedriveRefusedError(`a ${found.entry.reason} record would fail again; only handler-failed is redriven`);
  }
  if (found.entry.original.topic !== physicalTopic) {
    throw new RedriveRefusedError(`the dead letter came from ${found.entry.original.topic}, not ${physicalTopic}`);
  }
  const dlqHeaders = new Set<string>(Object.values(DLQ_HEADERS));
  const headers = Object.fromEntries(
    Object.entries(copyRawHeaders(found.headers)).filter(([name]) => !dlqHeaders.has(name)),
  );
  await core.send(physicalTopic, [{ key: found.key, value: found.value, headers }]);
  const { entry } = found;
  core.logger.warn(
    { topic: topic.name, partition: entry.partition, offset: entry.offset, originalOffset: entry.original.offset },
    'dead letter redriven to its topic',
  );
  return entry;
}
