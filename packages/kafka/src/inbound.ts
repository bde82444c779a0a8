import type { KafkaMessage } from 'kafkajs';
import type { MessageOf, TopicSpec } from '@hub/contracts';
import { decodeUtf8, decodeValue, UNDECODABLE, validate } from './codec.ts';
import { contractViolationDetail, undecodableDetail, type DeadLetterReason } from './dead-letter.ts';
import type { SpanParent } from '@hub/tracing';
import { parentFrom, readHeaders } from './headers.ts';
import type { InboundMessage } from './types.ts';

/** `parent`: the span that published the record (its `traceparent`), whatever became of the record. */
export type InboundResult<T extends TopicSpec> =
  | { readonly ok: true; readonly message: InboundMessage<T>; readonly parent: SpanParent | undefined }
  | {
      readonly ok: false;
      readonly reason: DeadLetterReason;
      readonly detail: string;
      readonly parent: SpanParent | undefined;
    };

/** Raw record -> typed message, or the reason it must be dead-lettered. The boundary check for every consumer. */
export function readInbound<T extends TopicSpec>(spec: T, partition: number, raw: KafkaMessage): InboundResult<T> {
  const headers = readHeaders(raw.headers);
  const parent = parentFrom(headers);
  let key: string | null = null;
  if (raw.key !== null) {
    const decodedKey = decodeUtf8(raw.key);
    if (decodedKey === undefined) {
      return { ok: false, reason: 'undecodable-message', detail: undecodableDetail(UNDECODABLE.keyNotUtf8), parent };
    }
    key = decodedKey;
  }
  const decoded = decodeValue(raw.value);
  if (!decoded.ok)
    return { ok: false, reason: 'undecodable-message', detail: undecodableDetail(decoded.cause), parent };
  const checked = validate(spec.schema, decoded.json);
  if (!checked.ok) {
    return { ok: false, reason: 'contract-violation', detail: contractViolationDetail(checked.issues), parent };
  }
  return {
    ok: true,
    message: {
      key,
      value: checked.value as MessageOf<T>,
      headers,
      topic: spec.name,
      partition,
      offset: raw.offset,
    },
    parent,
  };
}

/** The offset to commit once `offset` is done with: the next one to read. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}
