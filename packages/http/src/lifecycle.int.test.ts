// Uses real sockets on 127.0.0.1 (no Kafka or Redis), hence `.int.test.ts`.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { currentTraceId } from '@hub/logger';
import { closeGracefully, createHttpServer, listen, type HttpServer } from './index.ts';
import { captureLogs } from '@hub/testkit';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let app: HttpServer | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

interface Gate {
  readonly entered: Promise<void>;
  open(): void;
}

/** A handler that signals when it starts and finishes only when the test opens the gate. */
function gate(): Gate & { wait(): Promise<void>; enter(): void } {
  let enter!: () => void;
  let open!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { entered, open, enter, wait: () => opened };
}

function build(slow: ReturnType<typeof gate>): HttpServer {
  const server = createHttpServer({ logger: captureLogs().logger, serviceName: 'test' });
  server.get('/slow', async () => {
    slow.enter();
    await slow.wait();
    return { finished: true };
  });
  server.post('/trace', { schema: { body: z.object({ n: z.number() }) } }, (request) => ({
    n: request.body.n,
    traceId: currentTraceId(),
  }));
  return server;
}

/** A raw HTTP/1.1 connection, so requests can be pipelined and timed byte by byte. */
function rawConnection(port: number): { write(data: string): void; received: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const received = new Promise<string>((resolve) => {
    socket.on('close', () => {
      resolve(text);
    });
    socket.on('error', () => {
      resolve(text);
    });
  });
  return { write: (data) => socket.write(data), received };
}

describe('listen and closeGracefully', () => {
  it('listens on the requested host and returns the bound port', async () => {
    app = build(gate());
    const address = await listen(app, { host: '127.0.0.1', port: 0 });
    expect(address.host).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    expect(address.url).toBe(`http://127.0.0.1:${address.port}`);
    const response = await fetch(`${address.url}/health/live`);
    expect(response.status).toBe(200);
  });

  it('lets in-flight requests finish and answers 503 problem+json to requests arriving while closing', async () => {
    const slow = gate();
    app = build(slow);
    const { port } = await listen(app, { host: '127.0.0.1', port: 0 });
    const connection = rawConnection(port);
    connection.write('GET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
    await slow.entered;

    const closing = closeGracefully(app, 2_000);
    while (app.server.listening) await sleep(1);
    // A second request on the already open connection, after close began.
    connection.write('GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n');
    await sleep(20);
    slow.open();

    const text = await connection.received;
    const first = text.indexOf('HTTP/1.1 200');
    const second = text.indexOf('HTTP/1.1 503');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first);
    expect(text).toContain('{"finished":true}');
    const refused = text.slice(second);
    expect(refused.toLowerCase()).toContain('content-type: application/problem+json');
    expect(refused).toContain('"code":"not-ready"');
    expect(await closing).toEqual({ forced: false });
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  });

  it('cuts connections still busy at the deadline', async () => {
    const slow = gate();
    app = build(slow);
    const { port } = await listen(app, { host: '127.0.0.1', port: 0 });
    const connection = rawConnection(port);
    connection.write('GET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
    await slow.entered;
    expect(await closeGracefully(app, 50)).toEqual({ forced: true });
    expect(await connection.received).toBe('');
    slow.open();
  });
});

describe('trace context over a real socket', () => {
  it('keeps the trace id when the body arrives after the headers', async () => {
    app = build(gate());
    const { port } = await listen(app, { host: '127.0.0.1', port: 0 });
    const connection = rawConnection(port);
    const body = '{"n":7}';
    connection.write(
      'POST /trace HTTP/1.1\r\nHost: test\r\nConnection: close\r\ncontent-type: application/json\r\n' +
        `traceparent: 00-${TRACE_ID}-00f067aa0ba902b7-01\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    await sleep(30);
    connection.write(body);
    const text = await connection.received;
    expect(text).toContain(`{"n":7,"traceId":"${TRACE_ID}"}`);
  });
});

describe('requests without a Host header, over a real socket', () => {
  it('answers HTTP/1.1 without Host with 400 bad-request problem+json, and still serves HTTP/1.0 without it', async () => {
    app = build(gate());
    const { port } = await listen(app, { host: '127.0.0.1', port: 0 });
    const noHost = rawConnection(port);
    noHost.write('GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n');
    const text = await noHost.received;
    const [head = '', body = ''] = text.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(body)).toMatchObject({
      status: 400,
      code: 'bad-request',
      detail: 'An HTTP/1.1 request must carry a Host header.',
    });

    const bare = rawConnection(port);
    bare.write('GET /health/live HTTP/1.1\r\n\r\n');
    expect((await bare.received).split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');

    const http10 = rawConnection(port);
    http10.write('GET /health/live HTTP/1.0\r\n\r\n');
    expect((await http10.received).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });
});
