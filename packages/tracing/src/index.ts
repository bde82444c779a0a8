/**
 * @hub/tracing: OpenTelemetry spans from an HTTP request through every Kafka hop, W3C `traceparent` in between,
 * exported by OTLP over HTTP when configured; the only package that imports `@opentelemetry/*`. See README.md.
 */
export {
  checkedAttributes,
  OTHER_METHOD,
  SPAN_ATTRIBUTE_KEYS,
  SpanAttributeError,
  UNMATCHED_ROUTE,
  type SpanAttributeKey,
  type SpanAttributes,
} from './attributes.ts';
export { formatTraceparent, MAX_TRACEPARENT_LENGTH, newSpanId, parseTraceparent, type SpanParent } from './ids.ts';
export { NO_TRACING, type HubSpan, type HubTracer, type ProcessedRecord } from './tracer.ts';
export { currentSpan, currentTraceparent, inSpan, spanContext } from './scope.ts';
export {
  DEFAULT_OTLP_TRACES_URL,
  OTLP_PROTOCOLS,
  SAMPLERS,
  tracingEnv,
  tracingSettings,
  type OtlpProtocol,
  type SamplerName,
  type TracingConfig,
  type TracingSettings,
} from './env.ts';
export { startTracing, TRACING_LIMITS, type Tracing, type TracingOptions } from './setup.ts';
