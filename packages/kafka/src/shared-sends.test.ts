import type { Message, PartitionMetadata, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createSharedSender, recordingPartitioner, SHARED_REQUEST_BYTES } from './shared-sends.ts';

const partitionMetadata: PartitionMetadata[] = [0, 1, 2].map((partitionId) => ({
  partitionId,
  leader: 0,
  replicas: [0],
  isr: [0],
  partitionErrorCode: 0,
}));

/**
 * A broker's answer as kafkajs gives it: the messages placed by the partitioner (as kafkajs's sendMessages does), each
 * topic-partition's log continuing from where the previous request left it; `at` says where each key landed.
 */
function fakeBroker() {
  const place = recordingPartitioner();
  const ends = new Map<string, number>();
  const requests: { topic: string; messages: Message[] }[][] = [];
  const at = new Map<string, { partition: number; offset: number }>();
  async function send(topicMessages: { topic: string; messages: Message[] }[]): Promise<RecordMetadata[]> {
    requests.push(topicMessages);
    const answer = new Map<string, RecordMetadata>();
    for (const { topic, messages } of topicMessages) {
      for (const message of messages) {
        const partition = place({ topic, partitionMetadata, message });
        const where = `${topic}/${partition}`;
        const offset = ends.get(where) ?? 0;
        ends.set(where, offset + 1);
        at.set(String(message.key), { partition, offset });
        if (!answer.has(where)) {
          answer.set(where, { topicName: topic, partition, errorCode: 0, baseOffset: String(offset) });
        }
      }
    }
    return Promise.resolve([...answer.values()]);
  }
  return { send, requests, at };
}

const message = (key: string, value = 'v'): Message => ({ key, value: Buffer.from(value) });

describe('shared produce requests', () => {
  it('sends publishes made together in one request and answers each the offsets of its own first messages', async () => {
    const broker = fakeBroker();
    const sender = createSharedSender(broker.send);
    const keys = (n: number) => Array.from({ length: 4 }, (_, i) => `p${n}-k${i}`);
    const answers = await Promise.all(
      [0, 1, 2].map((n) =>
        sender.send(
          n === 2 ? 'other' : 'topic',
          keys(n).map((key) => message(key)),
        ),
      ),
    );
    expect(broker.requests).toHaveLength(1);
    answers.forEach((offsets, n) => {
      // Per partition, where this publish's first message there landed.
      const expected = new Map<number, string>();
      for (const key of keys(n)) {
        const { partition, offset } = broker.at.get(key)!;
        const first = expected.get(partition);
        if (first === undefined || offset < Number(first)) expected.set(partition, String(offset));
      }
      expect(new Map(offsets.map(({ partition, baseOffset }) => [partition, baseOffset]))).toEqual(expected);
    });
    // Two publishes to one topic share its partitions: the second's offsets are not the request's base offsets.
    expect(answers[1]!.some(({ baseOffset }) => baseOffset !== '0')).toBe(true);
  });

  it('keeps each request under SHARED_REQUEST_BYTES; a larger publish goes alone', async () => {
    const broker = fakeBroker();
    const sender = createSharedSender(broker.send);
    const big = 'x'.repeat(Math.floor(SHARED_REQUEST_BYTES / 2) + 1);
    await Promise.all([
      sender.send('topic', [message('a', big)]),
      sender.send('topic', [message('b', big)]),
      sender.send('topic', [message('c', 'x'.repeat(SHARED_REQUEST_BYTES + 1))]),
      sender.send('topic', [message('d')]),
    ]);
    expect(broker.requests.map((request) => request.flatMap(({ messages }) => messages.map((m) => m.key)))).toEqual([
      ['a'],
      ['b'],
      ['c'],
      ['d'],
    ]);
  });

  it('rejects every publish of a failed request, and sends what comes after it', async () => {
    let fail = true;
    const broker = fakeBroker();
    const sender = createSharedSender((topicMessages) => {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('broker said no'));
      }
      return broker.send(topicMessages);
    });
    const failed = await Promise.allSettled([
      sender.send('topic', [message('a')]),
      sender.send('topic', [message('b')]),
    ]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(sender.send('topic', [message('c')])).resolves.toHaveLength(1);
    await sender.idle();
  });

  it('on close, answers the request being sent, rejects those queued behind it unsent and refuses new ones', async () => {
    const broker = fakeBroker();
    let answerFirst!: () => void;
    const firstAnswered = new Promise<void>((resolve) => {
      answerFirst = resolve;
    });
    const sender = createSharedSender(async (topicMessages) => {
      if (broker.requests.length === 0) await firstAnswered;
      return broker.send(topicMessages);
    });
    const first = sender.send('topic', [message('a')]);
    await new Promise((resolve) => setImmediate(resolve)); // the first request is taken and sent
    const queued = sender.send('topic', [message('b')]);
    const closing = sender.close(new Error('closed'));
    answerFirst();
    await closing;
    await expect(first).resolves.toHaveLength(1);
    await expect(queued).rejects.toThrow('closed');
    await expect(sender.send('topic', [message('c')])).rejects.toThrow('closed');
    expect(broker.requests.map((request) => request.flatMap(({ messages }) => messages.map((m) => m.key)))).toEqual([
      ['a'],
    ]);
  });
});
