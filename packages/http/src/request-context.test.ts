import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { currentTraceId } from '@hub/logger';
import { createHttpServer, type HttpServer } from './index.ts';
import { requestIdFromHeader } from './request-context.ts';
import { captureLogs, type CapturedLogs } from '@hub/testkit';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const NHS_NUMBER = '9434765919';
const BEARER = 'Bearer eyJhbGciOiJSUzUxMiJ9.secret-token-body.sig';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let app: HttpServer | undefined;
let logs: CapturedLogs;
/** What handlers saw as the current trace id, per route. */
let seen: Record<string, string>;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(): HttpServer {
  logs = captureLogs();
  seen = {};
  const server = createHttpServer({ logger: logs.logger, serviceName: 'test' });
  server.get('/subjects', (request) => {
    seen['get'] = currentTraceId();
    request.log.info('via request logger');
    logs.logger.info({ count: 1 }, 'via module logger');
    return { ok: true };
  });
  server.post(
    '/subjects',
    { schema: { body: z.object({ nhsNumber: z.string(), postcode: z.string() }) } },
    async (request) => {
      // Runs after the body was parsed: the context must survive body parsing and an extra tick.
      await new Promise((resolve) => setImmediate(resolve));
      seen['post'] = currentTraceId();
      logs.logger.info({ fields: Object.keys(request.body).length }, 'after body');
      return { ok: true };
    },
  );
  server.get('/fails', () => {
    throw new Error('boom');
  });
  return server;
}

function linesFor(requestId: string): Record<string, unknown>[] {
  return logs.lines().filter((line) => line['requestId'] === requestId);
}

describe('request ids', () => {
  it('echoes an incoming x-request-id that is a UUID', async () => {
    app = build();
    const id = 'B5E3F9A2-1C4D-4E6F-8A9B-0C1D2E3F4A5B';
    const response = await app.inject({ url: '/subjects', headers: { 'x-request-id': id } });
    expect(response.headers['x-request-id']).toBe(id);
    expect(linesFor(id).length).toBeGreaterThanOrEqual(3);
  });

  it('generates a UUID when there is none', async () => {
    app = build();
    const response = await app.inject({ url: '/subjects' });
    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it('replaces an unsafe or odd-sized incoming id with a generated one, and never logs it', async () => {
    app = build();
    const unsafe = [
      'short',
      'has space in it',
      'a\u00e9bcdefgh',
      `inject${'x'.repeat(60)}`,
      '../../etc/passwd',
      '<script>x</script>',
      // Well-formed by the old rule, and personal data: an NHS number, a case reference with a date of birth.
      `nhs-${NHS_NUMBER}`,
      'case-19870412-TA11AA',
      NHS_NUMBER,
    ];
    for (const id of unsafe) {
      const response = await app.inject({ url: '/subjects', headers: { 'x-request-id': id } });
      expect(response.headers['x-request-id']).toMatch(UUID);
    }
    for (const id of unsafe) expect(logs.text()).not.toContain(id);
  });

  it('puts the same request id in the header, the problem body and the log lines', async () => {
    app = build();
    const id = '0b0a4f0e-6c54-4d3a-9b1e-3f1c2a4d5e6f';
    const response = await app.inject({ url: '/fails', headers: { 'x-request-id': id } });
    expect(response.headers['x-request-id']).toBe(id);
    expect(response.json<Record<string, unknown>>()['requestId']).toBe(id);
    expect(linesFor(id).map((line) => line['level'])).toContain('error');
  });
});

describe('trace context', () => {
  it('takes the trace id from a valid traceparent and stamps it on every line of the request', async () => {
    app = build();
    const response = await app.inject({ url: '/subjects', headers: { traceparent: TRACEPARENT } });
    expect(response.statusCode).toBe(200);
    expect(seen['get']).toBe(TRACE_ID);
    const lines = linesFor(response.headers['x-request-id'] as string);
    expect(lines.map((line) => line['msg'])).toEqual([
      'request received',
      'via request logger',
      'via module logger',
      'request completed',
    ]);
    expect(lines.every((line) => line['traceId'] === TRACE_ID)).toBe(true);
    // Ids come from the context only: no duplicate `reqId` binding from fastify.
    expect(logs.text()).not.toContain('"reqId"');
  });

  it('keeps the context across body parsing (socket events) into the handler', async () => {
    app = build();
    const response = await app.inject({
      method: 'POST',
      url: '/subjects',
      headers: { traceparent: TRACEPARENT },
      payload: { nhsNumber: NHS_NUMBER, postcode: 'TA1 1AA' },
    });
    expect(response.statusCode).toBe(200);
    expect(seen['post']).toBe(TRACE_ID);
    const afterBody = logs.lines().find((line) => line['msg'] === 'after body');
    expect(afterBody).toMatchObject({ traceId: TRACE_ID, requestId: response.headers['x-request-id'], fields: 2 });
  });

  it('starts a new 32-hex trace id when traceparent is absent or invalid', async () => {
    app = build();
    const invalid = [
      undefined,
      `ff-${TRACE_ID}-00f067aa0ba902b7-01`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`,
    ];
    const traceIds = new Set<string>();
    for (const traceparent of invalid) {
      const headers = traceparent === undefined ? {} : { traceparent };
      await app.inject({ url: '/subjects', headers });
      expect(seen['get']).toMatch(/^[0-9a-f]{32}$/);
      expect(seen['get']).not.toBe(TRACE_ID);
      traceIds.add(seen['get'] ?? '');
    }
    expect(traceIds.size).toBe(invalid.length);
  });
});

describe('what is never logged', () => {
  it('logs no query string, header value or body value, on success and on every error path', async () => {
    app = build();
    const query = `?nhsNumber=${NHS_NUMBER}&dob=1987-03-14`;
    const headers = { authorization: BEARER, traceparent: TRACEPARENT };
    await app.inject({ url: `/subjects${query}`, headers });
    await app.inject({ url: `/fails${query}`, headers });
    await app.inject({ url: `/unknown/${NHS_NUMBER}${query}`, headers });
    await app.inject({ method: 'DELETE', url: `/subjects${query}`, headers });
    await app.inject({
      method: 'POST',
      url: `/subjects${query}`,
      headers,
      payload: { nhsNumber: NHS_NUMBER, postcode: 'TA1 1AA' },
    });
    await app.inject({ method: 'POST', url: `/subjects${query}`, headers, payload: { nhsNumber: 12 } });
    await app.inject({
      method: 'POST',
      url: `/subjects${query}`,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: `{"nhsNumber": "${NHS_NUMBER}"`,
    });

    expect(logs.lines().length).toBeGreaterThan(14);
    const output = logs.text();
    for (const secret of [NHS_NUMBER, '1987-03-14', 'TA1 1AA', 'secret-token-body', 'nhsNumber=', '?']) {
      expect(output).not.toContain(secret);
    }
    // Route patterns are what identify requests in logs.
    expect(logs.lines().filter((line) => line['route'] === '/subjects').length).toBeGreaterThan(0);
  });
});

describe('header parsing', () => {
  it('accepts only safe request ids', () => {
    const uuid = '0b0a4f0e-6c54-4d3a-9b1e-3f1c2a4d5e6f';
    expect(requestIdFromHeader(uuid)).toBe(uuid);
    expect(requestIdFromHeader('abcd1234')).toBeUndefined();
    expect(requestIdFromHeader(`${uuid}0`)).toBeUndefined();
    expect(requestIdFromHeader([uuid, uuid])).toBeUndefined();
    expect(requestIdFromHeader('abcd1234\r\nx: y')).toBeUndefined();
    expect(requestIdFromHeader(undefined)).toBeUndefined();
  });
});
