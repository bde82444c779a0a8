import type { KafkaMessage } from 'kafkajs';
import type { MessageOf, TopicSpec } from '@hub/contracts';
import { decodeUtf8, decodeValue, UNDECODABLE, validate } from './codec.ts';
import { contractViolationDetail, undecodableDetail, type DeadLetterReason } from './dead-letter.ts';
import { readHeaders, traceIdFrom } from './headers.ts';
import type { InboundMessage } from './types.ts';

export type InboundResult<T extends TopicSpec> =
  | { readonly ok: true; readonly message: InboundMessage<T> }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string; readonly traceId: string };

/** Raw record -> typed message, or the reason it must be dead-lettered. The boundary check for every consumer. */
export function readInbound<T extends TopicSpec>(spec: T, partition: number, raw: KafkaMessage): InboundResult<T> {
  const headers = readHeaders(raw.headers);
  const traceId = traceIdFrom(headers);
  let key: string | null = null;
  if (raw.key !== null) {
    const decodedKey = decodeUtf8(raw.key);
    if (decodedKey === undefined) {
      return { ok: false, reason: 'undecodable-message', detail: undecodableDetail(UNDECODABLE.keyNotUtf8), traceId };
    }
    key = decodedKey;
  }
  const decoded = decodeValue(raw.value);
  if (!decoded.ok)
    return { ok: false, reason: 'undecodable-message', detail: undecodableDetail(decoded.cause), traceId };
  const checked = validate(spec.schema, decoded.json);
  if (!checked.ok) {
    return { ok: false, reason: 'contract-violation', detail: contractViolationDetail(checked.issues), traceId };
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
      traceId,
    },
  };
}

/** The offset to commit once `offset` is done with: the next one to read. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}
