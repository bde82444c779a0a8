import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer, type ReadinessCheck } from './index.ts';
import { captureLogs, type CapturedLogs } from '@hub/testkit';

let app: HttpServer | undefined;
let logs: CapturedLogs;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(readinessChecks: readonly ReadinessCheck[]): HttpServer {
  logs = captureLogs();
  return createHttpServer({
    logger: logs.logger,
    serviceName: 'police-gateway',
    readinessChecks,
    readinessTimeoutMs: 20,
  });
}

const ok = (name: string): ReadinessCheck => ({ name, check: async () => {} });

describe('GET /health/live', () => {
  it('answers 200 ok without running readiness checks', async () => {
    let ran = false;
    app = build([
      {
        name: 'kafka',
        check: () => {
          ran = true;
          return Promise.reject(new Error('down'));
        },
      },
    ]);
    const response = await app.inject({ url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', service: 'police-gateway' });
    expect(ran).toBe(false);
  });
});

describe('GET /health/ready', () => {
  it('answers 200 when every check resolves', async () => {
    app = build([ok('kafka'), ok('redis')]);
    const response = await app.inject({ url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', service: 'police-gateway' });
  });

  it('answers 503 not-ready naming each failing check by name only', async () => {
    const rejects: ReadinessCheck = {
      name: 'redis',
      check: () => Promise.reject(new Error('connect ECONNREFUSED redis://user:hunter2@10.0.0.5:6379')),
    };
    const throwsSync: ReadinessCheck = {
      name: 'signing-key',
      check: () => {
        throw new Error('key file /secrets/key.pem unreadable');
      },
    };
    const hangs: ReadinessCheck = { name: 'kafka', check: () => new Promise<void>(() => {}) };
    app = build([ok('config'), rejects, throwsSync, hangs]);

    const response = await app.inject({ url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const body = response.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      type: 'https://safeguarding-hub.invalid/problems/not-ready',
      status: 503,
      code: 'not-ready',
      instance: '/health/ready',
      detail: 'Readiness checks failed: redis, signing-key, kafka.',
      failedChecks: ['redis', 'signing-key', 'kafka'],
    });
    for (const leak of ['hunter2', 'ECONNREFUSED', 'key.pem', 'timed out', 'config']) {
      expect(response.body).not.toContain(leak);
    }
    const warned = logs.lines().filter((line) => line['msg'] === 'readiness check failed');
    expect(warned.map((line) => line['check'])).toEqual(['redis', 'signing-key', 'kafka']);
  });

  it('needs no readiness checks to be ready', async () => {
    app = build([]);
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
  });

  it('does not log probe requests', async () => {
    app = build([ok('kafka')]);
    await app.inject({ url: '/health/live' });
    await app.inject({ url: '/health/ready' });
    expect(logs.lines()).toEqual([]);
  });
});

describe('createHttpServer options', () => {
  it('rejects duplicate check names and non-positive limits', () => {
    logs = captureLogs();
    const base = { logger: logs.logger, serviceName: 'x' };
    expect(() => createHttpServer({ ...base, readinessChecks: [ok('a'), ok('a')] })).toThrow(/duplicate/);
    expect(() => createHttpServer({ ...base, bodyLimitBytes: 0 })).toThrow(/bodyLimitBytes/);
    expect(() => createHttpServer({ ...base, requestTimeoutMs: 1.5 })).toThrow(/requestTimeoutMs/);
  });
});
