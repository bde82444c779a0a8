import type { Logger } from '@hub/logger';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import { tracingSettings, type TracingConfig } from './env.ts';
import { NO_TRACING, otelTracer, type HubTracer } from './tracer.ts';

export interface Tracing {
  readonly tracer: HubTracer;
  /** Exports what is queued (bounded by the export timeout), then stops. Safe to call twice. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` says otherwise, e.g. `hub`. */
  readonly serviceName: string;
  /** `service.instance.id`: the instance's name (`KAFKA_INSTANCE_NAME`). */
  readonly instanceName: string;
  readonly version: string;
  readonly logger: Logger;
}

/** Every limit explicit: the SDK's own defaults, written down. A full queue drops spans, never blocks the hub. */
export const TRACING_LIMITS = {
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 5_000,
  exportTimeoutMillis: 10_000,
  /** Our spans carry at most 8 attributes, each short; the limits stop a mistake, not a design. */
  attributeCountLimit: 16,
  attributeValueLengthLimit: 256,
  /** One warning per this long at most while the collector refuses or cannot be reached. */
  failureWarningIntervalMs: 60_000,
} as const;

const OFF: Tracing = { tracer: NO_TRACING, shutdown: () => Promise.resolve() };

/**
 * Tracing for one hub process, from the standard OTEL_* keys (env.ts). Off (the default): nothing of the SDK is
 * loaded and spans are ids only. On: a tracer provider of its own (never the global one, so two runtimes in one
 * test process keep their spans apart), batching spans to the OTLP/HTTP exporter.
 */
export async function startTracing(config: TracingConfig, options: TracingOptions): Promise<Tracing> {
  const settings = tracingSettings(config);
  if (!settings.enabled) return OFF;
  const logger = options.logger.child({ component: 'tracing' });
  // Loaded only when on: a hub without tracing pays nothing for the SDK.
  const [sdk, resources, exporters] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
    settings.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http')
      : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const exporter = reportingFailures(
    new exporters.OTLPTraceExporter({ url: settings.url, timeoutMillis: TRACING_LIMITS.exportTimeoutMillis }),
    logger,
  );
  const rootSampler = (name: string): Sampler =>
    name.endsWith('always_off')
      ? new sdk.AlwaysOffSampler()
      : name.endsWith('traceidratio')
        ? new sdk.TraceIdRatioBasedSampler(settings.ratio)
        : new sdk.AlwaysOnSampler();
  // parentbased_*: a span with a parent follows its parent's decision (the W3C sampled flag); a root decides alone.
  const sampler = settings.sampler.startsWith('parentbased_')
    ? new sdk.ParentBasedSampler({ root: rootSampler(settings.sampler) })
    : rootSampler(settings.sampler);
  const provider = new sdk.TracerProvider({
    resource: resources.defaultResource().merge(
      resources.resourceFromAttributes({
        'service.name': settings.serviceName ?? options.serviceName,
        'service.instance.id': options.instanceName,
        'service.version': options.version,
      }),
    ),
    sampler,
    spanLimits: {
      attributeCountLimit: TRACING_LIMITS.attributeCountLimit,
      attributeValueLengthLimit: TRACING_LIMITS.attributeValueLengthLimit,
    },
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter,
        maxQueueSize: TRACING_LIMITS.maxQueueSize,
        maxExportBatchSize: TRACING_LIMITS.maxExportBatchSize,
        scheduledDelayMillis: TRACING_LIMITS.scheduledDelayMillis,
        exportTimeoutMillis: TRACING_LIMITS.exportTimeoutMillis,
      }),
    ],
  });
  logger.info(
    { protocol: settings.protocol, sampler: settings.sampler, ratio: settings.ratio },
    'tracing on: spans exported by OTLP over HTTP',
  );
  let stopped: Promise<void> | undefined;
  return {
    tracer: otelTracer(provider.getTracer('@hub/tracing', options.version)),
    shutdown() {
      stopped ??= provider.shutdown().catch((error: unknown) => {
        logger.warn({ errorName: error instanceof Error ? error.name : typeof error }, 'tracing shutdown failed');
      });
      return stopped;
    },
  };
}

/** The exporter, telling the log (at most once a minute) that spans could not be exported: names and counts only. */
function reportingFailures(exporter: SpanExporter, logger: Logger): SpanExporter {
  let warnedAt = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        // Anything but ExportResultCode.SUCCESS (@opentelemetry/core, not a dependency here for one constant).
        if (result.error !== undefined || (result.code as number) !== 0) {
          dropped += spans.length;
          const now = performance.now();
          if (now - warnedAt >= TRACING_LIMITS.failureWarningIntervalMs) {
            warnedAt = now;
            logger.warn(
              { spansNotExported: dropped, errorName: result.error?.name ?? 'unknown' },
              'spans could not be exported to the OTLP endpoint',
            );
            dropped = 0;
          }
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
