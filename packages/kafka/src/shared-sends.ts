import kafkajs, { type ICustomPartitioner, type Message, type RecordMetadata } from 'kafkajs';
import type { PublishedOffsets } from './types.ts';

const placed = new WeakMap<Message, number>();

/**
 * kafkajs's default (Java-compatible) partitioner, noting the partition of every message it places: a shared
 * produce request answers one base offset per partition, and each publish in it is answered its own offsets from it.
 */
export const recordingPartitioner: ICustomPartitioner = () => {
  const place = kafkajs.Partitioners.DefaultPartitioner();
  return (args) => {
    const partition = place(args);
    placed.set(args.message, partition);
    return partition;
  };
};

/** Most bytes (keys, values, headers) of publishes put in one produce request: under the broker's 1 MiB per request. */
export const SHARED_REQUEST_BYTES = 900 * 1024;

interface Pending {
  readonly topic: string;
  readonly messages: readonly Message[];
  readonly bytes: number;
  readonly resolve: (offsets: readonly PublishedOffsets[]) => void;
  readonly reject: (error: unknown) => void;
}

function sizeOf(message: Message): number {
  const bytes = (part: unknown): number =>
    Buffer.isBuffer(part) ? part.length : typeof part === 'string' ? Buffer.byteLength(part) : 0;
  const headers = Object.entries(message.headers ?? {}).reduce(
    (sum, [name, value]) => sum + bytes(name) + bytes(value),
    0,
  );
  return bytes(message.key) + bytes(message.value) + headers;
}

/**
 * Sends shared by concurrent publishes, one request at a time: a transaction's (a group commit's members) or the
 * client's shared idempotent producer's (client.ts). Publishes made while a request is being sent go together in the
 * next one, up to SHARED_REQUEST_BYTES (a larger publish goes alone, as it would have anyway). Each publish keeps its
 * messages in its order and is answered, per partition, the offset of its first message there, as a send of its own
 * would answer; a failed request rejects every publish in it, and the next request is sent (`send` decides on what).
 */
export function createSharedSender(
  send: (topicMessages: { topic: string; messages: Message[] }[]) => Promise<RecordMetadata[]>,
) {
  const queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let closedWith: Error | undefined;

  function takeRequest(): Pending[] {
    let bytes = 0;
    let count = 0;
    for (const pending of queue) {
      if (count > 0 && bytes + pending.bytes > SHARED_REQUEST_BYTES) break;
      bytes += pending.bytes;
      count++;
    }
    return queue.splice(0, count);
  }

  async function flush(): Promise<void> {
    // Let every member that is about to publish (same turn of the event loop) join the request.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const request = takeRequest();
      try {
        const written = await send(request.map(({ topic, messages }) => ({ topic, messages: [...messages] })));
        answer(request, written);
      } catch (error) {
        for (const pending of request) pending.reject(error);
      }
    }
    // In the same synchronous step as the empty check: a publish queued from now on starts a new flush.
    flushing = undefined;
  }

  return {
    /** Queues `messages` (already validated and encoded) for the next shared request to `topic` (physical name). */
    send(topic: string, messages: readonly Message[]): Promise<readonly PublishedOffsets[]> {
      return new Promise((resolve, reject) => {
        if (closedWith !== undefined) {
          reject(closedWith);
          return;
        }
        queue.push({
          topic,
          messages,
          bytes: messages.reduce((sum, message) => sum + sizeOf(message), 0),
          resolve,
          reject,
        });
        flushing ??= flush();
      });
    },
    /** Resolves once nothing is queued or being sent (before a commit). */
    async idle(): Promise<void> {
      while (flushing !== undefined) await flushing;
    },
    /**
     * Refuses further sends and rejects those queued but not yet sent, with `error`; resolves once the request being
     * sent (if any) is answered. A close then waits for one request, not for a queue of them.
     */
    async close(error: Error): Promise<void> {
      closedWith ??= error;
      for (const pending of queue.splice(0)) pending.reject(error);
      while (flushing !== undefined) await flushing;
    },
  };
}

/** Each publish's offsets: per topic-partition, the request's base offset plus the messages before it there. */
function answer(request: readonly Pending[], written: readonly RecordMetadata[]): void {
  const next = new Map<string, bigint>();
  for (const { topicName, partition, baseOffset } of written) {
    if (baseOffset !== undefined) next.set(`${topicName}\u0000${partition}`, BigInt(baseOffset));
  }
  for (const pending of request) {
    const first = new Map<number, string>();
    let unplaced = false;
    for (const message of pending.messages) {
      const partition = placed.get(message);
      if (partition === undefined) {
        unplaced = true;
        continue;
      }
      const key = `${pending.topic}\u0000${partition}`;
      const offset = next.get(key);
      if (offset === undefined) continue;
      if (!first.has(partition)) first.set(partition, offset.toString());
      next.set(key, offset + 1n);
    }
    if (unplaced) pending.reject(new Error('a message was sent without the recording partitioner'));
    else pending.resolve([...first].map(([partition, baseOffset]) => ({ partition, baseOffset })));
  }
}

export type SharedSender = ReturnType<typeof createSharedSender>;
