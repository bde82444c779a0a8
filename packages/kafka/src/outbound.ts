import type { Message } from 'kafkajs';
import type { TopicSpec } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { checkValueSize, encodeValue, validate, type IssueSummary } from './codec.ts';
import { buildPublishHeaders } from './headers.ts';
import { LIMITS } from './limits.ts';
import type { OutboundMessage } from './types.ts';

/**
 * Thrown by publish (and for a transactional handler's outputs) when a value does not satisfy its topic's contract:
 * a programming error in the producing service. A HubError with code `contract-violation` whose `errors` are the
 * failing fields' JSON pointers and zod codes; never the value.
 */
export class ContractViolationError extends HubError {
  readonly topic: string;
  readonly index: number;
  readonly issues: readonly IssueSummary[];

  constructor(topic: string, index: number, issues: readonly IssueSummary[]) {
    const where = issues
      .slice(0, LIMITS.maxIssuesInDetail)
      .map((issue) => `${issue.path || '/'} ${issue.code}`)
      .join(', ');
    super('contract-violation', `message ${index} for ${topic} violates its contract: ${where}`, {
      errors: issues.map((issue) => ({ pointer: issue.path, detail: issue.code })),
    });
    this.topic = topic;
    this.index = index;
    this.issues = issues;
  }
}

/**
 * Validates and encodes a whole batch before anything is sent: one bad message means none of the batch goes.
 * Values are re-encoded from zod's output, so keys a non-strict schema does not know are not forwarded.
 */
export function prepareBatch<T extends TopicSpec>(
  topic: T,
  messages: readonly OutboundMessage<T>[],
  /** The publishing span (`currentTraceparent()` of @hub/tracing), parent of whatever handles each record. */
  traceparent: string,
): Message[] {
  if (messages.length > LIMITS.maxMessagesPerBatch) {
    throw new RangeError(`at most ${LIMITS.maxMessagesPerBatch} messages per batch, got ${messages.length}`);
  }
  return messages.map((message, index) => {
    checkKey(message.key, topic.name);
    const checked = validate(topic.schema, message.value);
    if (!checked.ok) throw new ContractViolationError(topic.name, index, checked.issues);
    const value = encodeValue(checked.value);
    checkValueSize(value, topic.name);
    return { key: message.key, value, headers: buildPublishHeaders(topic.name, traceparent, message.headers) };
  });
}

function checkKey(key: unknown, topic: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key, 'utf8') > LIMITS.maxKeyBytes) {
    throw new RangeError(`message key for ${topic} must be a non-empty string of at most ${LIMITS.maxKeyBytes} bytes`);
  }
}
