import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { MessageErrorCode } from '@hub/errors';
import { safeToken, type IssueSummary, type UndecodableCause } from './codec.ts';
import { copyRawHeaders } from './headers.ts';
import { LIMITS } from './limits.ts';

/** Why a message was dead-lettered: the message-processing codes of the `@hub/errors` catalogue. */
export const DLQ_REASONS = [
  'contract-violation',
  'undecodable-message',
  'handler-failed',
] as const satisfies readonly MessageErrorCode[];
export type DeadLetterReason = (typeof DLQ_REASONS)[number];

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  /** Compact JSON; never contains a value from the message (see the detail builders below). */
  detail: 'dlq-detail',
  /** Physical topic name (namespace included): with partition and offset, the record's coordinates. */
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  /** ISO 8601 UTC. */
  failedAt: 'dlq-failed-at',
  /** Physical consumer group id of the consumer that gave up. */
  consumerGroup: 'dlq-consumer-group',
} as const;

export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders | undefined;
}

export interface DeadLetter {
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly record: FailedRecord;
  readonly consumerGroup: string;
  readonly failedAt: Date;
}

export function deadLetterHeaders(letter: DeadLetter): Record<string, string> {
  return {
    [DLQ_HEADERS.reason]: letter.reason,
    [DLQ_HEADERS.detail]: letter.detail,
    [DLQ_HEADERS.originalTopic]: letter.record.topic,
    [DLQ_HEADERS.originalPartition]: String(letter.record.partition),
    [DLQ_HEADERS.originalOffset]: letter.record.offset,
    [DLQ_HEADERS.failedAt]: letter.failedAt.toISOString(),
    [DLQ_HEADERS.consumerGroup]: letter.consumerGroup,
  };
}

/**
 * The record to write to `<topic>.dlq`: the original key and value bytes untouched, the original headers, then ours
 * (a record dead-lettered twice carries only the latest dlq-* headers).
 */
export function deadLetterMessage(letter: DeadLetter): Message {
  return {
    key: letter.record.key,
    value: letter.record.value,
    headers: { ...copyRawHeaders(letter.record.headers), ...deadLetterHeaders(letter) },
  };
}

/** The dead letter of `message`, fetched from `partition` of `topic` (physical name) by `consumerGroup`, failing now. */
export function deadLetterOf(
  from: { readonly topic: string; readonly partition: number; readonly consumerGroup: string },
  message: KafkaMessage,
  reason: DeadLetterReason,
  detail: string,
): Message {
  const { topic, partition, consumerGroup } = from;
  const { offset, key, value, headers } = message;
  return deadLetterMessage({
    reason,
    detail,
    record: { topic, partition, offset, key, value, headers },
    consumerGroup,
    failedAt: new Date(),
  });
}

export function undecodableDetail(cause: UndecodableCause): string {
  return JSON.stringify({ cause });
}

/** The failing fields' JSON pointers and zod codes, as many as fit in the header limit. Never values. */
export function contractViolationDetail(issues: readonly IssueSummary[]): string {
  const all = issues.map((issue) => ({ path: issue.path.slice(0, 200), code: issue.code }));
  for (let shown = Math.min(all.length, LIMITS.maxIssuesInDetail); shown >= 0; shown--) {
    const omitted = all.length - shown;
    const detail = JSON.stringify(omitted > 0 ? { issues: all.slice(0, shown), omitted } : { issues: all });
    if (detail.length <= LIMITS.maxDetailLength) return detail;
  }
  return JSON.stringify({ issues: [], omitted: all.length });
}

export interface ErrorDescription {
  readonly name: string;
  readonly code?: string;
}

/**
 * An error's name and code, never its message. Messages are free text that may quote the data being handled (a
 * validation library, a database driver echoing a row), and we cannot know which ones do; names and codes are set
 * by code, and are only kept when they look like tokens.
 */
export function describeError(error: unknown): ErrorDescription {
  if (!(error instanceof Error)) return { name: 'NonError' };
  const name = safeToken(error.name) ?? 'Error';
  const code = safeToken((error as { code?: unknown }).code);
  return code === undefined ? { name } : { name, code };
}

export function handlerFailedDetail(error: unknown, attempts: number): string {
  return JSON.stringify({ error: describeError(error), attempts });
}
