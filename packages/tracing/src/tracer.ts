import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Span, type Tracer } from '@opentelemetry/api';
import { newTraceId } from '@hub/logger';
import {
  allowedAttributes,
  checkedAttributes,
  errorTypeAttribute,
  methodAttribute,
  OTHER_METHOD,
  UNMATCHED_ROUTE,
  type SpanAttributes,
} from './attributes.ts';
import { formatTraceparent, newSpanId, type SpanParent } from './ids.ts';

/** One span of the hub: its ids (what log lines and child records carry) and the few things that may be said of it. */
export interface HubSpan extends SpanParent {
  /** The `traceparent` naming this span as the parent of a record it publishes. */
  readonly traceparent: string;
  /** An HTTP span, once answered: named `{method} {route template}`, with its status (5xx: failed). */
  answered(route: string | undefined, status: number): void;
  /** Failed: `errorType` is an error's class name or a dead-letter reason, never a message. */
  fail(errorType: string): void;
  end(): void;
}

/** The coordinates of a Kafka record a span processes: logical topic and group, never its key or value. */
export interface ProcessedRecord {
  readonly topic: string;
  readonly group: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Starts the hub's two kinds of span. Each continues `parent` (the caller's or the publisher's `traceparent`) when
 * there is one, else starts a trace. Names and attributes come only from allow-listed values (attributes.ts).
 */
export interface HubTracer {
  /** True when spans are recorded and exported; false: ids only, so logs and records still share a trace id. */
  readonly recording: boolean;
  /** An HTTP request, named by its method until `answered` names its route. */
  serverSpan(method: string, parent: SpanParent | undefined): HubSpan;
  /** A Kafka record handled by a stage or projector (`process <topic>`), child of the span that published it. */
  processSpan(record: ProcessedRecord, parent: SpanParent | undefined): HubSpan;
}

function serverAttributes(method: string): SpanAttributes {
  return { 'http.request.method': methodAttribute(method) };
}

function processAttributes(record: ProcessedRecord): SpanAttributes {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': record.topic,
    'messaging.consumer.group.name': record.group,
    'messaging.destination.partition.id': String(record.partition),
    'messaging.kafka.offset': Number(record.offset),
  };
}

const processName = (record: ProcessedRecord) => `process ${record.topic}`;

/** Tracing off: ids only (a trace id carried on, a new span id per hop), nothing recorded, nothing exported. */
class IdSpan implements HubSpan {
  readonly traceId: string;
  readonly spanId = newSpanId();
  readonly sampled: boolean;
  constructor(parent: SpanParent | undefined) {
    this.traceId = parent?.traceId ?? newTraceId();
    // Not ours to decide: a sampled caller's downstream systems may still be tracing.
    this.sampled = parent?.sampled ?? false;
  }
  get traceparent(): string {
    return formatTraceparent(this);
  }
  answered(): void {}
  fail(): void {}
  end(): void {}
}

/** The tracer when tracing is off: a few random bytes per span, nothing checked, recorded or exported. */
export const NO_TRACING: HubTracer = {
  recording: false,
  serverSpan: (_method, parent) => new IdSpan(parent),
  processSpan: (_record, parent) => new IdSpan(parent),
};

/** An OpenTelemetry span (recorded, or not when the sampler said so: then only its ids travel). */
class OtelSpan implements HubSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly #span: Span;
  readonly #method: string | undefined;
  constructor(span: Span, method?: string) {
    this.#span = span;
    this.#method = method;
    const context = span.spanContext();
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.sampled = (context.traceFlags & TraceFlags.SAMPLED) !== 0;
  }
  get traceparent(): string {
    return formatTraceparent(this);
  }
  answered(route: string | undefined, status: number): void {
    // Every served route is a catalogue template (@hub/http refuses others); anything else is recorded as unmatched.
    const matched = route !== undefined && allowedAttributes({ 'http.route': route }) ? route : undefined;
    this.#span.setAttributes(
      checkedAttributes({ 'http.route': matched ?? UNMATCHED_ROUTE, 'http.response.status_code': status }),
    );
    // OpenTelemetry's HTTP conventions: `{method} {route}`; a request that matched no route keeps its method alone.
    if (matched !== undefined && this.#method !== undefined) this.#span.updateName(`${this.#method} ${matched}`);
    if (status >= 500) this.fail(String(status));
  }
  fail(errorType: string): void {
    this.#span.setAttributes(checkedAttributes({ 'error.type': errorTypeAttribute(errorType) }));
    this.#span.setStatus({ code: SpanStatusCode.ERROR });
  }
  end(): void {
    this.#span.end();
  }
}

/** Wraps an OpenTelemetry tracer: every span's parent is given explicitly (no global context manager). */
export function otelTracer(tracer: Tracer): HubTracer {
  const parentContext = (parent: SpanParent | undefined) =>
    parent === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId: parent.traceId,
          spanId: parent.spanId,
          traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  return {
    recording: true,
    serverSpan(method, parent) {
      const known = methodAttribute(method);
      // OpenTelemetry's HTTP conventions name a request of an unknown method `HTTP`.
      const name = known === OTHER_METHOD ? 'HTTP' : known;
      const attributes = checkedAttributes(serverAttributes(method));
      return new OtelSpan(tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parentContext(parent)), name);
    },
    processSpan(record, parent) {
      const wanted = processAttributes(record);
      // Only the hub's declared steps are traced: a rebuild's replay group, an operator's tool or a test's own topic
      // carries the trace on (ids) but records nothing.
      if (!allowedAttributes(wanted)) return new IdSpan(parent);
      const attributes = checkedAttributes(wanted);
      return new OtelSpan(
        tracer.startSpan(processName(record), { kind: SpanKind.CONSUMER, attributes }, parentContext(parent)),
      );
    },
  };
}
