import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/*
 * A real OTLP/HTTP traces receiver for tests: what a collector does at `POST /v1/traces`, decoding OTLP JSON
 * (`application/json`) or protobuf (`application/x-protobuf`, read by the small wire-format reader below), so a test
 * runs the hub's real exporter against it and reads back exactly the spans that went over the wire.
 */

export type AttributeValue = string | number | boolean;

/** One span as it arrived: ids in lowercase hex (as W3C `traceparent` writes them), attributes flattened. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly resource: Readonly<Record<string, AttributeValue>>;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: what `OTEL_EXPORTER_OTLP_ENDPOINT` is set to. */
  readonly endpoint: string;
  readonly spans: readonly ReceivedSpan[];
  /** The content types of the requests received, in order. */
  readonly contentTypes: readonly string[];
  /** Resolves once `predicate` holds of the spans received (polled every 50 ms), or rejects after `timeoutMs`. */
  waitFor(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      try {
        if (request.method !== 'POST' || request.url !== '/v1/traces') {
          response.writeHead(404).end();
          return;
        }
        const body = await readBody(request);
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
        contentTypes.push(type);
        if (type === 'application/json') {
          spans.push(...fromJson(JSON.parse(body.toString('utf8')) as JsonRequest));
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else if (type === 'application/x-protobuf') {
          spans.push(...fromProtobuf(body));
          response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        } else {
          response.writeHead(415).end();
        }
      } catch {
        response.writeHead(400).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline)
          throw new Error(`the OTLP receiver did not get the spans awaited (${spans.length} received)`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

// --- OTLP JSON (ids are hex strings; 64-bit integers may be strings) ---

interface JsonAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
}
interface JsonKeyValue {
  readonly key: string;
  readonly value?: JsonAnyValue;
}
interface JsonRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly JsonKeyValue[] };
    readonly scopeSpans?: readonly {
      readonly spans?: readonly {
        readonly traceId: string;
        readonly spanId: string;
        readonly parentSpanId?: string;
        readonly name: string;
        readonly kind?: number;
        readonly attributes?: readonly JsonKeyValue[];
        readonly status?: { readonly code?: number };
      }[];
    }[];
  }[];
}

function jsonValue(value: JsonAnyValue | undefined): AttributeValue {
  if (value?.stringValue !== undefined) return value.stringValue;
  if (value?.boolValue !== undefined) return value.boolValue;
  if (value?.intValue !== undefined) return Number(value.intValue);
  if (value?.doubleValue !== undefined) return value.doubleValue;
  return '';
}

const jsonAttributes = (list: readonly JsonKeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, jsonValue(value)]));

function fromJson(request: JsonRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId.toLowerCase(),
        spanId: span.spanId.toLowerCase(),
        parentSpanId: (span.parentSpanId ?? '').toLowerCase(),
        name: span.name,
        kind: span.kind ?? 0,
        attributes: jsonAttributes(span.attributes),
        statusCode: span.status?.code ?? 0,
        resource,
      })),
    );
  });
}

// --- OTLP protobuf: just enough of the wire format for ExportTraceServiceRequest (opentelemetry-proto) ---

type Field = { readonly number: number; readonly varint?: bigint; readonly bytes?: Buffer; readonly fixed?: Buffer };

function varint(buffer: Buffer, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let index = at; index < buffer.length; index++) {
    const byte = buffer[index] ?? 0;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: index + 1 };
    shift += 7n;
  }
  throw new Error('truncated varint');
}

function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buffer.length) {
    const tag = varint(buffer, at);
    at = tag.next;
    const number = Number(tag.value >> 3n);
    switch (Number(tag.value & 7n)) {
      case 0: {
        const { value, next } = varint(buffer, at);
        out.push({ number, varint: value });
        at = next;
        break;
      }
      case 1:
        out.push({ number, fixed: buffer.subarray(at, at + 8) });
        at += 8;
        break;
      case 2: {
        const { value, next } = varint(buffer, at);
        const end = next + Number(value);
        out.push({ number, bytes: buffer.subarray(next, end) });
        at = end;
        break;
      }
      case 5:
        out.push({ number, fixed: buffer.subarray(at, at + 4) });
        at += 4;
        break;
      default:
        throw new Error('unsupported wire type');
    }
  }
  return out;
}

const all = (list: Field[], number: number) => list.filter((field) => field.number === number);
const one = (list: Field[], number: number) => list.find((field) => field.number === number);
const text = (field: Field | undefined) => field?.bytes?.toString('utf8') ?? '';
const hex = (field: Field | undefined) => field?.bytes?.toString('hex') ?? '';

/** AnyValue: 1 string, 2 bool, 3 int64, 4 double. */
function protoValue(buffer: Buffer | undefined): AttributeValue {
  const value = fields(buffer ?? Buffer.alloc(0));
  const string = one(value, 1);
  if (string !== undefined) return text(string);
  const bool = one(value, 2);
  if (bool !== undefined) return bool.varint === 1n;
  const int = one(value, 3);
  if (int?.varint !== undefined) return Number(BigInt.asIntN(64, int.varint));
  const double = one(value, 4);
  if (double?.fixed !== undefined) return double.fixed.readDoubleLE(0);
  return '';
}

/** KeyValue: 1 key, 2 value. */
const protoAttributes = (list: Field[]) =>
  Object.fromEntries(
    list.map((field) => {
      const keyValue = fields(field.bytes ?? Buffer.alloc(0));
      return [text(one(keyValue, 1)), protoValue(one(keyValue, 2)?.bytes)];
    }),
  );

/**
 * ExportTraceServiceRequest: 1 ResourceSpans. ResourceSpans: 1 Resource (1 attributes), 2 ScopeSpans (2 spans).
 * Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 15 status (3 code).
 */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  return all(fields(body), 1).flatMap((resourceSpansField) => {
    const resourceSpans = fields(resourceSpansField.bytes ?? Buffer.alloc(0));
    const resource = protoAttributes(all(fields(one(resourceSpans, 1)?.bytes ?? Buffer.alloc(0)), 1));
    return all(resourceSpans, 2).flatMap((scopeField) =>
      all(fields(scopeField.bytes ?? Buffer.alloc(0)), 2).map((spanField) => {
        const span = fields(spanField.bytes ?? Buffer.alloc(0));
        const status = fields(one(span, 15)?.bytes ?? Buffer.alloc(0));
        return {
          traceId: hex(one(span, 1)),
          spanId: hex(one(span, 2)),
          parentSpanId: hex(one(span, 4)),
          name: text(one(span, 5)),
          kind: Number(one(span, 6)?.varint ?? 0n),
          attributes: protoAttributes(all(span, 9)),
          statusCode: Number(one(status, 3)?.varint ?? 0n),
          resource,
        };
      }),
    );
  });
}
