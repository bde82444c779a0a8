import kafkajs, { type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@hub/logger';

const { logLevel: KafkaLevel } = kafkajs;
type KafkaLogLevel = (typeof KafkaLevel)[keyof typeof KafkaLevel];

/**
 * kafkajs log entries -> our pino logger. Only an allow-list of fields is kept, and only as short primitives, so a
 * payload, a key or a handler's error message can never reach a log line through kafkajs (an Error is reduced to
 * its name).
 */
const SAFE_FIELDS = new Set([
  'broker',
  'clientId',
  'groupId',
  'memberId',
  'generationId',
  'leaderId',
  'isLeader',
  'groupProtocol',
  'topic',
  'topics',
  'partition',
  'offset',
  'retryCount',
  'retryTime',
  'correlationId',
  'apiName',
  'apiKey',
  'apiVersion',
  'size',
  'timeout',
  'transactionalId',
  'producerId',
  'producerEpoch',
  'nodeId',
  'duration',
  'type',
  'code',
  'retriable',
  'restart',
  'error',
]);
const MAX_FIELD_LENGTH = 300;
const MAX_ARRAY_ITEMS = 20;

/** The kafkajs level that lets through what `level` (a pino level name) would print. */
export function kafkaLogLevel(level: string): KafkaLogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return KafkaLevel.DEBUG;
    case 'info':
      return KafkaLevel.INFO;
    case 'warn':
      return KafkaLevel.WARN;
    case 'error':
    case 'fatal':
      return KafkaLevel.ERROR;
    default:
      return KafkaLevel.NOTHING;
  }
}

export function safeLogFields(extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(extra)) {
    if (!SAFE_FIELDS.has(name)) continue;
    const safe = Array.isArray(value) ? value.slice(0, MAX_ARRAY_ITEMS).map(primitive) : primitive(value);
    if (safe !== undefined) out[name] = safe;
  }
  return out;
}

function primitive(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.slice(0, MAX_FIELD_LENGTH);
  if (value instanceof Error) return value.name;
  return undefined;
}

/**
 * Errors kafkajs logs at ERROR that are routine and retried at once: the broker still completing the previous
 * transaction (CONCURRENT_TRANSACTIONS), a coordinator still loading, or not there yet (a new broker creates its
 * offsets topic on the first group's request). Logged at debug, not as errors: a healthy start prints no error.
 */
const ROUTINE_RETRIED = [
  'another concurrent operation on the same transaction',
  'The coordinator is loading',
  'The group coordinator is not available',
  'This is not the correct coordinator',
];

export function effectiveLevel(level: KafkaLogLevel, entry: Readonly<Record<string, unknown>>): KafkaLogLevel {
  const error = typeof entry['error'] === 'string' ? entry['error'] : '';
  const message = typeof entry['message'] === 'string' ? entry['message'] : '';
  const routine = ROUTINE_RETRIED.some((text) => error.includes(text) || message.includes(text));
  return level === KafkaLevel.ERROR && routine ? KafkaLevel.DEBUG : level;
}

export function createLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level: reported, log: entry }: LogEntry) => {
      const { message, ...extra } = entry;
      const level = effectiveLevel(reported, entry);
      const fields = { kafkajs: namespace, ...safeLogFields(extra) };
      const text = typeof message === 'string' ? message.slice(0, MAX_FIELD_LENGTH) : 'kafkajs';
      switch (level) {
        case KafkaLevel.ERROR:
          log.error(fields, text);
          break;
        case KafkaLevel.WARN:
          log.warn(fields, text);
          break;
        case KafkaLevel.INFO:
          log.info(fields, text);
          break;
        case KafkaLevel.DEBUG:
          log.debug(fields, text);
          break;
        case KafkaLevel.NOTHING:
          break;
      }
    };
}
