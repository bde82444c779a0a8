import { z } from 'zod';
import { booleanString, urlString, type ConfigOf } from '@hub/config';

/** What the OpenTelemetry SDK's standard sampler names mean here (the SDK's own set, env spelling). */
export const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** The OTLP encodings shipped: protobuf (the standard's default) and JSON, both over HTTP. No gRPC. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

const otlpUrl = () => urlString({ protocols: ['http:', 'https:'] });
const protocol = () =>
  z.enum(OTLP_PROTOCOLS, `must be one of ${OTLP_PROTOCOLS.join(', ')} (gRPC is not shipped)`).optional();

/**
 * The standard OpenTelemetry environment keys this package decides on (the specification's names and meanings), so
 * tracing is configured as it is for any other service. Tracing is off unless an OTLP endpoint is given (or
 * `OTEL_TRACES_EXPORTER=otlp` asks for the standard's default, http://localhost:4318). The exporter itself also reads
 * its standard keys for headers, timeout, compression and TLS files (`OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`, ...).
 */
export const tracingEnv = z.object({
  OTEL_SDK_DISABLED: booleanString().default(false),
  /** `otlp` or `none`; unset: otlp when an endpoint is given, else none. */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], 'must be otlp or none').optional(),
  /** The collector's base URL; traces go to `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl().optional(),
  /** The traces URL itself (used as given), over `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol(),
  /** The `service.name` of every span; default the process's own name (`hub`, or a service run alone). */
  OTEL_SERVICE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, underscores or hyphens')
    .optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS, `must be one of ${SAMPLERS.join(', ')}`).default('parentbased_always_on'),
  /** The ratio of a `*traceidratio` sampler, 0 to 1; default 1. */
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .regex(/^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$/, 'must be a number from 0 to 1 (at most 6 decimals)')
    .transform(Number)
    .optional(),
});
export type TracingConfig = ConfigOf<typeof tracingEnv>;

/** The standard's default collector address, used only when `OTEL_TRACES_EXPORTER=otlp` names no endpoint. */
export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';

export type TracingSettings =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly url: string;
      readonly protocol: OtlpProtocol;
      readonly sampler: SamplerName;
      readonly ratio: number;
      readonly serviceName: string | undefined;
    };

/** Whether spans are exported, and where: the specification's precedence (signal-specific keys first). */
export function tracingSettings(config: TracingConfig): TracingSettings {
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`);
  const exporter = config.OTEL_TRACES_EXPORTER ?? (url === undefined ? 'none' : 'otlp');
  if (config.OTEL_SDK_DISABLED || exporter === 'none') return { enabled: false };
  return {
    enabled: true,
    url: url ?? DEFAULT_OTLP_TRACES_URL,
    protocol: config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    sampler: config.OTEL_TRACES_SAMPLER,
    ratio: config.OTEL_TRACES_SAMPLER_ARG ?? 1,
    serviceName: config.OTEL_SERVICE_NAME,
  };
}
