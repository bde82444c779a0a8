import type { KafkaMessage } from 'kafkajs';
import type { MessageOf, TopicSpec } from '@hub/contracts';
import { decodeUtf8, decodeValue, UNDECODABLE, validate } from './codec.ts';
import { contractViolationDetail, undecodableDetail, type DeadLetterReason } from './dead-letter.ts';
import type { SpanParent } from '@hub/tracing';
import { parentFrom, readHeaders } from './headers.ts';
import { createInboundCache, type CachedOutcome } from './inbound-cache.ts';
import type { InboundMessage } from './types.ts';

/** One per process: every consumer group reading a record reads it through here (see inbound-cache.ts). */
const cache = createInboundCache();

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
  const value = raw.value;
  const read = (): CachedOutcome => readValue(spec, value);
  const outcome = value === null ? read() : cache.outcome(spec.name, partition, raw.offset, spec.schema, value, read);
  if (!outcome.ok) return { ok: false, reason: outcome.reason, detail: outcome.detail, parent };
  return {
    ok: true,
    message: {
      key,
      value: outcome.value as MessageOf<T>,
      headers,
      topic: spec.name,
      partition,
      offset: raw.offset,
    },
    parent,
  };
}

/** A record's value decoded and checked against its contract, or why it cannot be. */
function readValue(spec: TopicSpec, bytes: Buffer | null): CachedOutcome {
  const decoded = decodeValue(bytes);
  if (!decoded.ok) return { ok: false, reason: 'undecodable-message', detail: undecodableDetail(decoded.cause) };
  const checked = validate(spec.schema, decoded.json);
  if (!checked.ok) return { ok: false, reason: 'contract-violation', detail: contractViolationDetail(checked.issues) };
  return { ok: true, value: checked.value };
}

/** The offset to commit once `offset` is done with: the next one to read. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}
