import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import type { DeadLetterReason } from './dead-letter.ts';

/** One input's part of a stage transaction: its outputs, or its dead letter, per physical topic. */
export interface InputRecords {
  readonly offset: string;
  readonly records: readonly TopicMessages[];
  /** What they count against LIMITS.maxTransactionBytes (recordBytes of each). */
  readonly bytes: number;
  /** Set when the records are the input's dead letter: why it was dead-lettered. */
  readonly deadLettered?: DeadLetterReason;
}

export function inputRecords(
  offset: string,
  records: readonly TopicMessages[],
  deadLettered?: DeadLetterReason,
): InputRecords {
  const bytes = records.reduce((sum, { messages }) => sum + messages.reduce((n, m) => n + recordBytes(m), 0), 0);
  return deadLettered === undefined ? { offset, records, bytes } : { offset, records, bytes, deadLettered };
}

/**
 * A Kafka record's framing (record v2: length, attributes, timestamp and offset deltas, key and value lengths, header
 * count, as varints) is at most this many bytes, and each header's two lengths at most HEADER_FRAMING_BYTES.
 */
const RECORD_FRAMING_BYTES = 40;
const HEADER_FRAMING_BYTES = 10;

const sizeOf = (data: Buffer | string | null | undefined): number =>
  data === null || data === undefined ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;

function headerBytes(headers: IHeaders | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      bytes += HEADER_FRAMING_BYTES + Buffer.byteLength(name) + sizeOf(item);
    }
  }
  return bytes;
}

/** An upper bound of the bytes `message` takes in a produce request (record batch headers aside). */
export function recordBytes(message: Message): number {
  return RECORD_FRAMING_BYTES + sizeOf(message.key) + sizeOf(message.value) + headerBytes(message.headers);
}

/**
 * The inputs' records in produce requests of at most `maxBytes` each (a record larger than that alone in its own),
 * in input order, each request grouped by topic for kafkajs's sendBatch.
 */
export function produceRequests(inputs: readonly InputRecords[], maxBytes: number): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let byTopic = new Map<string, Message[]>();
  let bytes = 0;
  const close = (): void => {
    if (byTopic.size > 0) requests.push([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    byTopic = new Map();
    bytes = 0;
  };
  for (const { records } of inputs) {
    for (const { topic, messages } of records) {
      for (const message of messages) {
        const size = recordBytes(message);
        if (bytes > 0 && bytes + size > maxBytes) close();
        let list = byTopic.get(topic);
        if (list === undefined) byTopic.set(topic, (list = []));
        list.push(message);
        bytes += size;
      }
    }
  }
  close();
  return requests;
}
