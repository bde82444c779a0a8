import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@hub/config';
import { captureLogs, startOtlpReceiver, type OtlpReceiver } from '@hub/testkit';
import { SPAN_ATTRIBUTE_KEYS } from './attributes.ts';
import { tracingEnv } from './env.ts';
import { parseTraceparent } from './ids.ts';
import { startTracing } from './setup.ts';

const OPTIONS = { serviceName: 'hub', instanceName: 'hub-1', version: '0.1.0' } as const;
const RECORD = { topic: 'da.incident-received.v1', group: 'identity', partition: 1, offset: '7' };

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe('startTracing against a real OTLP/HTTP receiver', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`exports by ${protocol}: a request span and the record span it parents, linked by traceparent`, async () => {
      receiver = await startOtlpReceiver();
      const logs = captureLogs();
      const config = loadConfig(tracingEnv, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      });
      const tracing = await startTracing(config, { ...OPTIONS, logger: logs.logger });
      expect(tracing.tracer.recording).toBe(true);

      const request = tracing.tracer.serverSpan('POST', undefined);
      // What crosses Kafka is the header alone: the consumer continues from it.
      const header = request.traceparent;
      const record = tracing.tracer.processSpan(RECORD, parseTraceparent(header));
      record.fail('handler-failed');
      record.end();
      request.answered('/v1/domestic-abuse-incidents', 202);
      request.end();
      await tracing.shutdown();

      await receiver.waitFor((spans) => spans.length === 2);
      expect(receiver.contentTypes).toEqual([protocol === 'http/json' ? 'application/json' : 'application/x-protobuf']);
      const server = receiver.spans.find((span) => span.kind === 2);
      const consumer = receiver.spans.find((span) => span.kind === 5);
      expect(server).toMatchObject({
        traceId: request.traceId,
        spanId: request.spanId,
        parentSpanId: '',
        name: 'POST /v1/domestic-abuse-incidents',
        attributes: {
          'http.request.method': 'POST',
          'http.route': '/v1/domestic-abuse-incidents',
          'http.response.status_code': 202,
        },
        statusCode: 0,
        resource: { 'service.name': 'hub', 'service.instance.id': 'hub-1', 'service.version': '0.1.0' },
      });
      expect(consumer).toMatchObject({
        traceId: request.traceId,
        spanId: record.spanId,
        parentSpanId: request.spanId,
        name: 'process da.incident-received.v1',
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': 'da.incident-received.v1',
          'messaging.consumer.group.name': 'identity',
          'messaging.destination.partition.id': '1',
          'messaging.kafka.offset': 7,
          'error.type': 'handler-failed',
        },
        statusCode: 2,
      });
      for (const span of receiver.spans) {
        for (const key of Object.keys(span.attributes)) expect(SPAN_ATTRIBUTE_KEYS).toContain(key);
      }
    });
  }

  it('follows a caller that did not sample: nothing is exported, the ids still travel', async () => {
    receiver = await startOtlpReceiver();
    const config = loadConfig(tracingEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    const tracing = await startTracing(config, { ...OPTIONS, logger: captureLogs().logger });
    const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: false };
    const span = tracing.tracer.serverSpan('GET', caller);
    expect(span).toMatchObject({ traceId: caller.traceId, sampled: false });
    expect(parseTraceparent(span.traceparent)).toMatchObject({ traceId: caller.traceId, sampled: false });
    span.end();
    const sampled = tracing.tracer.serverSpan('GET', { ...caller, sampled: true });
    sampled.end();
    await tracing.shutdown();
    await receiver.waitFor((spans) => spans.length >= 1);
    expect(receiver.spans.map((received) => received.spanId)).toEqual([sampled.spanId]);
  });

  it('warns (names and counts only) when the collector cannot be reached, and the hub goes on', async () => {
    receiver = await startOtlpReceiver();
    const endpoint = receiver.endpoint;
    await receiver.close();
    receiver = undefined;
    const logs = captureLogs();
    const config = loadConfig(tracingEnv, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` });
    const tracing = await startTracing(config, { ...OPTIONS, logger: logs.logger });
    tracing.tracer.serverSpan('GET', undefined).end();
    await tracing.shutdown();
    const warning = logs.lines().find((line) => line['msg'] === 'spans could not be exported to the OTLP endpoint');
    expect(warning).toMatchObject({ level: 'warn', spansNotExported: 1, component: 'tracing' });
  });

  it('is off without an endpoint: ids only, nothing of the SDK started', async () => {
    const tracing = await startTracing(loadConfig(tracingEnv, {}), { ...OPTIONS, logger: captureLogs().logger });
    expect(tracing.tracer.recording).toBe(false);
    const span = tracing.tracer.serverSpan('GET', undefined);
    expect(span.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    await tracing.shutdown();
  });
});
