import type { IHeaders } from 'kafkajs';
import { parseTraceparent, type SpanParent } from '@hub/tracing';
import { decodeUtf8 } from './codec.ts';
import { LIMITS } from './limits.ts';

/** Headers this package writes on every message it publishes. */
export const HEADERS = {
  /** W3C trace-context: the span that published the record, so its consumer's span continues the trace. */
  traceparent: 'traceparent',
  contentType: 'content-type',
  /** The logical topic name whose contract the value satisfies, e.g. `hub.service-started.v1`. */
  schema: 'schema',
} as const;

export const CONTENT_TYPE_JSON = 'application/json';

/** Callers may not set these: they are ours (and `dlq-*` belongs to the dead-letter writer). */
const RESERVED = new Set<string>(Object.values(HEADERS));
const RESERVED_PREFIX = 'dlq-';
const HEADER_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Headers for one outgoing message: the caller's own (checked), then ours. A caller header that collides with ours
 * is a programming error and throws, rather than being silently overwritten.
 */
export function buildPublishHeaders(
  logicalTopic: string,
  traceparent: string,
  extra: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const entries = Object.entries(extra ?? {});
  if (entries.length > LIMITS.maxHeaders) {
    throw new RangeError(`at most ${LIMITS.maxHeaders} headers per message, got ${entries.length}`);
  }
  for (const [name, value] of entries) {
    if (name.length > LIMITS.maxHeaderNameLength || !HEADER_NAME.test(name)) {
      throw new RangeError(
        `header name "${name}" must be lower-case [a-z0-9._-], at most ${LIMITS.maxHeaderNameLength}`,
      );
    }
    if (RESERVED.has(name) || name.startsWith(RESERVED_PREFIX)) {
      throw new RangeError(`header "${name}" is set by @hub/kafka and may not be supplied`);
    }
    if (typeof value !== 'string' || Buffer.byteLength(value, 'utf8') > LIMITS.maxHeaderValueBytes) {
      throw new RangeError(`header "${name}" must be a string of at most ${LIMITS.maxHeaderValueBytes} bytes`);
    }
    headers[name] = value;
  }
  headers[HEADERS.traceparent] = traceparent;
  headers[HEADERS.contentType] = CONTENT_TYPE_JSON;
  headers[HEADERS.schema] = logicalTopic;
  return headers;
}

/**
 * kafkajs headers (Buffers, possibly repeated) as a flat string map for handlers. A repeated header keeps its first
 * value; a value that is not UTF-8 is left out.
 */
export function readHeaders(raw: IHeaders | undefined): Record<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(raw ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    const text = typeof first === 'string' ? first : decodeUtf8(first);
    if (text !== undefined) out.set(name, text);
  }
  return Object.fromEntries(out);
}

/** The span that published the message, when it carries a well-formed `traceparent` (else its trace starts here). */
export function parentFrom(headers: Readonly<Record<string, string>>): SpanParent | undefined {
  return parseTraceparent(headers[HEADERS.traceparent]);
}

/** Copies kafkajs headers as they are (bytes untouched, undefined entries dropped). */
export function copyRawHeaders(raw: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}
