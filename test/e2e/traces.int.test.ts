import { startTestHub, type TestHub } from '@hub/hub/testing';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@hub/testkit';
import { SPAN_ATTRIBUTE_KEYS } from '@hub/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInbox, waitForInbox } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

/*
 * Issue 12 item 5: the whole hub with tracing on (the standard OTEL_EXPORTER_OTLP_ENDPOINT, the default protocol
 * http/protobuf, the real OTLP exporter) against a real OTLP/HTTP receiver started here. A police system posts an
 * incident under its own traceparent; one trace follows it from the HTTP request through every Kafka hop (each
 * record's traceparent header names the span that published it) to the inbox write, and no span holds personal data.
 */

/** The police system's own span, as its traceparent says (sampled). */
const CALLER = { traceId: '5e1f0a2b3c4d5e6f708192a3b4c5d6e7', spanId: 'a1b2c3d4e5f60718' };

let receiver: OtlpReceiver;
let hub: TestHub;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  hub = await startTestHub({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } });
});
afterAll(async () => {
  await hub.stop();
  await receiver.close();
});

const GROUP = 'messaging.consumer.group.name';
const inTrace = (spans: readonly ReceivedSpan[]) => spans.filter((span) => span.traceId === CALLER.traceId);
const inboxWrites = (spans: readonly ReceivedSpan[]) =>
  inTrace(spans).filter((span) => span.attributes[GROUP] === 'inbox-store');

describe('a trace from the police request to the inbox write', () => {
  const incident = whitlockIncident();
  let trace: ReceivedSpan[] = [];
  let request: ReceivedSpan | undefined;

  it('posts an incident under the caller traceparent; the GP inboxes fill', async () => {
    const response = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(incident),
      headers: { traceparent: `00-${CALLER.traceId}-${CALLER.spanId}-01` },
    });
    expect(response.status).toBe(202);
    await waitForInbox(hub, 'gpVictim', 'gp:L85901', 2);
    await waitForInbox(hub, 'gpOther', 'gp:L85902', 1);
    await waitForInbox(hub, 'gpPerpetrator', 'gp:L85904', 1);
    // Spans are batched (every 5 s): wait for the inbox writes of those four notifications, and the audit trail's.
    await receiver.waitFor(
      (spans) =>
        inboxWrites(spans).length >= 4 && inTrace(spans).some((span) => span.attributes[GROUP] === 'audit-store'),
      30_000,
    );
    trace = inTrace(receiver.spans);
    request = trace.find((span) => span.kind === 2 && span.name === 'POST /v1/domestic-abuse-incidents');
    expect(request).toBeDefined();
  });

  it('is one tree: its root is the request span, a child of the caller span; every other span has its parent in it', () => {
    const ids = new Set(trace.map((span) => span.spanId));
    expect(ids.size).toBe(trace.length);
    const roots = trace.filter((span) => !ids.has(span.parentSpanId));
    expect(roots.map((span) => span.name)).toEqual(['POST /v1/domestic-abuse-incidents']);
    expect(roots[0]?.parentSpanId).toBe(CALLER.spanId);
    expect(request?.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/v1/domestic-abuse-incidents',
      'http.response.status_code': 202,
    });
    expect(request?.resource['service.name']).toBe('hub');
    // The request's trace reached no other request: the GP pulls are traces of their own.
    expect(trace.filter((span) => span.kind === 2)).toHaveLength(1);
  });

  it('reaches each inbox write through every stage, each hop a child of the span that published its record', () => {
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const writes = inboxWrites(trace);
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const write of writes) {
      const path: string[] = [];
      for (let span: ReceivedSpan | undefined = write; span !== undefined; span = byId.get(span.parentSpanId)) {
        path.push(span.kind === 2 ? span.name : `${String(span.attributes[GROUP])} ${span.name}`);
      }
      expect(path).toEqual([
        'inbox-store process notifications.issued.v1',
        'dispatcher process da.incident-decided.v1',
        'ig-engine process da.incident-identified.v1',
        'identity process da.incident-received.v1',
        'POST /v1/domestic-abuse-incidents',
      ]);
      expect(write).toMatchObject({
        kind: 5,
        statusCode: 0,
        attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'notifications.issued.v1' },
      });
    }
    // Each inbox write handled its own record.
    expect(
      new Set(
        writes.map(
          (write) =>
            `${write.attributes['messaging.destination.partition.id']}/${write.attributes['messaging.kafka.offset']}`,
        ),
      ).size,
    ).toBe(writes.length);
    // The audit events each hop wrote in its transaction are traced to their store too, under that hop.
    const audits = trace.filter((span) => span.attributes[GROUP] === 'audit-store');
    expect(
      new Set(
        audits.map((span) => byId.get(span.parentSpanId)?.attributes[GROUP] ?? byId.get(span.parentSpanId)?.name),
      ),
    ).toContain('identity');
  });

  it("logs under the span's own trace and span ids: a log line leads to its span", () => {
    const lines = hub.logs.lines().filter((line) => line['traceId'] === CALLER.traceId);
    const spanIds = new Set(trace.map((span) => span.spanId));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => !spanIds.has(String(line['spanId'])))).toEqual([]);
    const completed = lines.find((line) => line['msg'] === 'request completed');
    expect(completed?.['spanId']).toBe(request?.spanId);
  });

  it('holds only allow-listed attributes and no personal data, identifier or free text of the incident', async () => {
    const items = await readInbox(hub, 'gpVictim', 'gp:L85901');
    const secrets = [
      incident.incidentId,
      incident.officer.name,
      incident.officer.collarNumber,
      ...items.map((item) => item.id),
      'L85901',
      'kitchen',
      ...incident.subjects.flatMap((subject) => [
        subject.name.given,
        subject.name.family,
        subject.birthDate,
        ...(subject.nhsNumber === undefined ? [] : [subject.nhsNumber]),
        ...(subject.postcode === undefined ? [] : [subject.postcode, subject.postcode.replace(' ', '')]),
      ]),
    ];
    expect(secrets.length).toBeGreaterThan(10);
    const everything = JSON.stringify(receiver.spans);
    expect(secrets.filter((secret) => everything.includes(secret))).toEqual([]);
    const keys = new Set(receiver.spans.flatMap((span) => Object.keys(span.attributes)));
    expect([...keys].filter((key) => !(SPAN_ATTRIBUTE_KEYS as readonly string[]).includes(key))).toEqual([]);
    // The check above saw real spans, not an empty export.
    expect(keys).toContain('messaging.consumer.group.name');
  });
});
