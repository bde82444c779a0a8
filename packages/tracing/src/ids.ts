import { randomFillSync } from 'node:crypto';

/** A span to continue from: its trace, its id, and whether it was sampled (W3C trace-context). */
export interface SpanParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

/** Longest `traceparent` read: version 00 is 55 characters; later versions may append fields. */
export const MAX_TRACEPARENT_LENGTH = 512;

/**
 * W3C trace-context `traceparent`: version-traceid-parentid-flags. Version `ff` is invalid; version `00` has exactly
 * four fields, later versions may append more. All-zero trace ids and parent ids are invalid.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const SAMPLED = 0x01;

/** The parent a `traceparent` header names, or undefined when it is absent, repeated or malformed (never echoed). */
export function parseTraceparent(header: unknown): SpanParent | undefined {
  if (typeof header !== 'string' || header.length > MAX_TRACEPARENT_LENGTH) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & SAMPLED) === SAMPLED };
}

/** The version-00 `traceparent` naming `span` as the parent of whatever receives it. */
export function formatTraceparent(span: SpanParent): string {
  return `00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}`;
}

export function isTraceId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value) && value !== ZERO_TRACE_ID;
}

/**
 * Random bytes for span ids, drawn a block at a time: one randomFillSync per 512 ids instead of one per id (every
 * record a step handles opens a span; per id, the call was 2% of the hub's CPU draining a burst, issue 10).
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** 16 lowercase hex characters, never all zero. */
export function newSpanId(): string {
  for (;;) {
    if (used === POOL_BYTES) {
      randomFillSync(pool);
      used = 0;
    }
    const id = pool.toString('hex', used, used + 8);
    used += 8;
    if (id !== ZERO_SPAN_ID) return id;
  }
}
