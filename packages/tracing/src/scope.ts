import { currentContext, currentTraceId, newTraceId, withContext, type LogContext } from '@hub/logger';
import { formatTraceparent, isTraceId, newSpanId } from './ids.ts';
import type { HubSpan } from './tracer.ts';

/**
 * The current span travels in `@hub/logger`'s context (one AsyncLocalStorage, across awaits): the context a span
 * runs in carries its `traceId` and `spanId`, so every log line written inside it names the span's trace (the same
 * id a tracing back end shows), and the span itself is found again from that context object here.
 */
const spans = new WeakMap<LogContext, HubSpan>();

/** The log context of `span` (plus `extra` opaque ids, e.g. a request id): pass it to `withContext`. */
export function spanContext(span: HubSpan, extra: Readonly<Record<string, string>> = {}): LogContext {
  const context: LogContext = { ...extra, traceId: span.traceId, spanId: span.spanId };
  spans.set(context, span);
  return context;
}

/** Runs `fn` as `span`'s work: its log lines carry the span's ids, and what it publishes names the span as parent. */
export function inSpan<T>(span: HubSpan, fn: () => T): T {
  return withContext(spanContext(span), fn);
}

export function currentSpan(): HubSpan | undefined {
  const context = currentContext();
  return context === undefined ? undefined : spans.get(context);
}

/**
 * The `traceparent` a record published now carries: the current span as its parent. Outside any span (a start-up
 * announcement, a test's own context), the current trace id when it is a W3C one, else a new trace, not sampled.
 */
export function currentTraceparent(): string {
  const span = currentSpan();
  if (span !== undefined) return span.traceparent;
  const traceId = currentTraceId();
  return formatTraceparent({
    traceId: isTraceId(traceId) ? traceId : newTraceId(),
    spanId: newSpanId(),
    sampled: false,
  });
}
