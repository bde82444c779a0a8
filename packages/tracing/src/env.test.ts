import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@hub/config';
import { DEFAULT_OTLP_TRACES_URL, tracingEnv, tracingSettings } from './env.ts';

const settingsOf = (env: Record<string, string>) => tracingSettings(loadConfig(tracingEnv, env));

describe('tracing settings from the standard OTEL_* keys', () => {
  it('is off unless an endpoint (or OTEL_TRACES_EXPORTER=otlp) is given', () => {
    expect(settingsOf({})).toEqual({ enabled: false });
    expect(settingsOf({ OTEL_TRACES_SAMPLER: 'always_on' })).toEqual({ enabled: false });
    expect(settingsOf({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ enabled: true, url: DEFAULT_OTLP_TRACES_URL });
  });

  it('appends /v1/traces to the base endpoint; the traces endpoint is used as given and wins', () => {
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      enabled: true,
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
      ratio: 1,
    });
    expect(
      settingsOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toMatchObject({ url: 'https://traces.example/otlp', protocol: 'http/json', ratio: 0.25 });
  });

  it('is off when disabled or the exporter is none, whatever else is set', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(settingsOf({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toEqual({ enabled: false });
    expect(settingsOf({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toEqual({ enabled: false });
  });

  it('refuses what it cannot honour, naming the key and never the value', () => {
    const attempt = () =>
      loadConfig(tracingEnv, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector-secret-token:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_TRACES_SAMPLER_ARG: '2',
        OTEL_SDK_DISABLED: 'yes',
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.map((problem) => problem.variable).sort();
      expect(problems).toEqual([
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'OTEL_EXPORTER_OTLP_PROTOCOL',
        'OTEL_SDK_DISABLED',
        'OTEL_TRACES_EXPORTER',
        'OTEL_TRACES_SAMPLER_ARG',
      ]);
      expect((error as Error).message).not.toContain('secret-token');
    }
  });
});
