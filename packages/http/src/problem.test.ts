import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DependencyUnavailableError, HubError, problemTypeUri } from '@hub/errors';
import { createHttpServer, type HttpServer, type HttpServerOptions } from './index.ts';
import { DEPENDENCY_UNAVAILABLE_DETAIL } from './problem.ts';
import { captureLogs, type CapturedLogs } from '@hub/testkit';

const NHS_NUMBER = /^\d{10}$/;

const subject = z.object({ nhsNumber: z.string().regex(NHS_NUMBER), role: z.enum(['victim', 'perpetrator']) }).strict();
const incidentBody = z.object({ reference: z.string().max(40), subjects: z.array(subject).min(1).max(20) }).strict();

let app: HttpServer | undefined;
let logs: CapturedLogs;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(overrides: Partial<HttpServerOptions> = {}): HttpServer {
  logs = captureLogs();
  const server = createHttpServer({ logger: logs.logger, serviceName: 'test', ...overrides });
  server.post(
    '/incidents/:incidentId',
    {
      schema: {
        params: z.object({ incidentId: z.uuid() }),
        querystring: z.object({ dryRun: z.enum(['true', 'false']).default('false') }).strict(),
        headers: z.object({ 'x-tenant': z.enum(['police', 'nhs']) }),
        body: incidentBody,
      },
    },
    (request) => {
      // Typed by the zod type provider: these lines would not compile against `unknown`.
      const first: string = request.body.subjects[0]?.nhsNumber ?? '';
      const dryRun: 'true' | 'false' = request.query.dryRun;
      return { accepted: request.params.incidentId, subjects: request.body.subjects.length, first, dryRun };
    },
  );
  server.get('/boom', () => {
    throw new Error('database said: row for 9434765919 at TA1 1AA');
  });
  server.get('/unprocessable', () => {
    throw new HubError('unprocessable', 'The NHS number is not known.', {
      errors: [{ pointer: '/body/nhsNumber', detail: 'is not known to the directory' }],
      reason: 'nhs-number-not-found',
    });
  });
  server.get('/conflict', () => {
    throw new HubError('conflict', 'A notification with this key was already accepted.');
  });
  server.get('/handler-zod', () => {
    z.object({ subjects: z.array(z.object({ nhsNumber: z.string() })) }).parse({ subjects: [{}, { nhsNumber: 1 }] });
    return {};
  });
  server.get('/message-code', () => {
    throw new HubError('handler-failed');
  });
  server.get(
    '/summary',
    { schema: { response: { 200: z.object({ id: z.string(), count: z.number() }) } } },
    () => ({ id: 'inc-1', count: 2, nhsNumber: '9434765919' }) as { id: string; count: number },
  );
  server.get(
    '/wrong-shape',
    { schema: { response: { 200: z.object({ id: z.string() }) } } },
    () => ({ id: 42 }) as unknown as { id: string },
  );
  server.get('/slow', async (request) => {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 80);
      request.raw.once('close', () => {
        clearTimeout(timer);
      });
    });
    return { done: true };
  });
  return server;
}

const incidentId = '0b0a4f0e-6c54-4d3a-9b1e-3f1c2a4d5e6f';
const validBody = { reference: 'inc-42', subjects: [{ nhsNumber: '9434765919', role: 'victim' }] };
const tenant = { 'x-tenant': 'police' };

type Problem = Record<string, unknown> & { errors?: { pointer: string; detail: string }[] };

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
  code: string,
  status: number,
  instance: string | undefined,
): Problem {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json');
  const body = JSON.parse(response.body) as Problem;
  expect(body).toMatchObject({
    type: problemTypeUri(code as Parameters<typeof problemTypeUri>[0]),
    status,
    code,
    requestId: response.headers['x-request-id'],
  });
  // The route template, never the request path (which can hold NHS numbers); absent when no route matched.
  expect(body['instance']).toBe(instance);
  expect(typeof body['title']).toBe('string');
  expect(typeof body['detail']).toBe('string');
  expect(body['requestId']).toMatch(/^[A-Za-z0-9._-]{8,64}$/);
  return body;
}

describe('zod route schemas', () => {
  it('passes a valid request through with parsed, typed values', async () => {
    app = build();
    const response = await app.inject({
      method: 'POST',
      url: `/incidents/${incidentId}`,
      headers: tenant,
      payload: validBody,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ accepted: incidentId, subjects: 1, first: '9434765919', dryRun: 'false' });
  });

  it('names the exact failing field of a nested array element', async () => {
    app = build();
    const payload = {
      reference: 'inc-42',
      subjects: [
        { nhsNumber: '9434765919', role: 'victim' },
        { nhsNumber: '94347', role: 'perpetrator' },
      ],
    };
    const response = await app.inject({ method: 'POST', url: `/incidents/${incidentId}`, headers: tenant, payload });
    const body = expectProblem(response, 'validation-failed', 400, '/incidents/{incidentId}');
    expect(body.errors).toEqual([{ pointer: '/body/subjects/1/nhsNumber', detail: expect.any(String) as string }]);
    expect(response.body).not.toContain('94347"');
  });

  it('reports unknown keys at their object, counted, never naming the keys the client chose', async () => {
    app = build();
    const payload = {
      ...validBody,
      subjects: [{ nhsNumber: '9434765919', role: 'victim', extra: 1 }],
      'a/b~c': true,
    };
    const response = await app.inject({ method: 'POST', url: `/incidents/${incidentId}`, headers: tenant, payload });
    const body = expectProblem(response, 'validation-failed', 400, '/incidents/{incidentId}');
    expect(body.errors).toEqual([
      { pointer: '/body/subjects/0', detail: 'Unknown fields are not allowed (1).' },
      { pointer: '/body', detail: 'Unknown fields are not allowed (1).' },
    ]);
    expect(response.body).not.toContain('extra');
    expect(response.body).not.toContain('a~1b');
  });

  it('points into /query, /params and /headers, and never echoes the query in instance', async () => {
    app = build();
    const response = await app.inject({
      method: 'POST',
      url: '/incidents/not-a-uuid?dryRun=maybe&nhs=9434765919',
      headers: { 'x-tenant': 'other' },
      payload: validBody,
    });
    const body = expectProblem(response, 'validation-failed', 400, '/incidents/{incidentId}');
    // Fastify validates params first and stops at the first failing part.
    expect(body.errors?.map((e) => e.pointer)).toEqual(['/params/incidentId']);
    expect(response.body).not.toContain('9434765919');

    const query = await app.inject({
      method: 'POST',
      url: `/incidents/${incidentId}?dryRun=maybe&nhs=9434765919`,
      headers: tenant,
      payload: validBody,
    });
    expect(expectProblem(query, 'validation-failed', 400, '/incidents/{incidentId}').errors).toEqual([
      { pointer: '/query/dryRun', detail: expect.any(String) as string },
      { pointer: '/query', detail: 'Unknown fields are not allowed (1).' },
    ]);

    const headers = await app.inject({
      method: 'POST',
      url: `/incidents/${incidentId}`,
      headers: { 'x-tenant': 'other' },
      payload: validBody,
    });
    expect(expectProblem(headers, 'validation-failed', 400, '/incidents/{incidentId}').errors).toEqual([
      { pointer: '/headers/x-tenant', detail: expect.any(String) as string },
    ]);
  });

  it('reports a missing body as a failure at /body', async () => {
    app = build();
    const response = await app.inject({ method: 'POST', url: `/incidents/${incidentId}`, headers: tenant });
    const body = expectProblem(response, 'validation-failed', 400, '/incidents/{incidentId}');
    expect(body.errors?.map((e) => e.pointer)).toEqual(['/body']);
  });

  it('maps a ZodError thrown by a handler to 400 with /body pointers', async () => {
    app = build();
    const body = expectProblem(await app.inject({ url: '/handler-zod' }), 'validation-failed', 400, '/handler-zod');
    expect(body.errors?.map((e) => e.pointer)).toEqual(['/body/subjects/0/nhsNumber', '/body/subjects/1/nhsNumber']);
  });

  it('strips unknown keys from responses with a response schema', async () => {
    app = build();
    const response = await app.inject({ url: '/summary' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: 'inc-1', count: 2 });
  });

  it('treats a response that fails its own schema as a 500, not a 400', async () => {
    app = build();
    expectProblem(await app.inject({ url: '/wrong-shape' }), 'internal', 500, '/wrong-shape');
  });
});

describe('request body errors', () => {
  const url = `/incidents/${incidentId}`;

  it('answers 400 malformed-json for broken, empty or prototype-poisoning JSON', async () => {
    app = build();
    for (const payload of ['{"reference": "inc-42",', '', '{"__proto__": {"admin": true}}']) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { ...tenant, 'content-type': 'application/json' },
        payload,
      });
      expectProblem(response, 'malformed-json', 400, '/incidents/{incidentId}');
    }
  });

  it('answers 413 payload-too-large over the body limit', async () => {
    app = build({ bodyLimitBytes: 1024 });
    const payload = { reference: 'x'.repeat(2000), subjects: [] };
    expectProblem(
      await app.inject({ method: 'POST', url, headers: tenant, payload }),
      'payload-too-large',
      413,
      '/incidents/{incidentId}',
    );
  });

  it('answers 415 for non-JSON content types, including text/plain', async () => {
    app = build();
    for (const contentType of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { ...tenant, 'content-type': contentType },
        payload: 'reference=inc-42',
      });
      expectProblem(response, 'unsupported-media-type', 415, '/incidents/{incidentId}');
    }
  });

  it('answers 415 for a content-encoding the hub does not decode, before reading the body', async () => {
    app = build();
    for (const encoding of ['gzip', 'br', 'deflate', 'identity, gzip']) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { ...tenant, 'content-type': 'application/json', 'content-encoding': encoding },
        // Valid JSON as it stands: a server that ignored the encoding would accept it.
        payload: JSON.stringify(validBody),
      });
      const body = expectProblem(response, 'unsupported-media-type', 415, '/incidents/{incidentId}');
      expect(body['detail']).toBe('Content-Encoding is not supported; send the body unencoded.');
    }
    const identity = await app.inject({
      method: 'POST',
      url,
      headers: { ...tenant, 'content-type': 'application/json', 'content-encoding': 'identity' },
      payload: JSON.stringify(validBody),
    });
    expect(identity.statusCode).toBe(200);
  });
});

describe('routing errors', () => {
  it('answers 404 not-found for an unknown route, without the query in instance', async () => {
    app = build();
    const response = await app.inject({ url: '/nope/here?nhsNumber=9434765919' });
    expectProblem(response, 'not-found', 404, undefined);
    expect(response.body).not.toContain('9434765919');
  });

  it('answers 405 with Allow when the path exists for other methods', async () => {
    app = build();
    const response = await app.inject({ method: 'DELETE', url: `/incidents/${incidentId}` });
    expectProblem(response, 'method-not-allowed', 405, undefined);
    expect(response.headers['allow']).toBe('POST');
    const get = await app.inject({ method: 'POST', url: '/health/live' });
    expect(get.statusCode).toBe(405);
    expect(get.headers['allow']).toBe('GET');
  });

  it('answers 400 bad-request for a badly percent-encoded path', async () => {
    app = build();
    expectProblem(await app.inject({ url: '/incidents/%E0%A4%A' }), 'bad-request', 400, undefined);
  });

  it('answers 414 uri-too-long for an over-long path parameter', async () => {
    app = build();
    const url = `/incidents/${'a'.repeat(101)}`;
    expectProblem(
      await app.inject({ method: 'POST', url, headers: tenant, payload: validBody }),
      'uri-too-long',
      414,
      undefined,
    );
  });
});

describe('handler errors', () => {
  it('answers a HubError with its own status, code and detail', async () => {
    app = build();
    const body = expectProblem(await app.inject({ url: '/conflict' }), 'conflict', 409, '/conflict');
    expect(body['detail']).toBe('A notification with this key was already accepted.');
  });

  it('carries a HubError reason code as the reason member, with its field errors', async () => {
    app = build();
    const body = expectProblem(await app.inject({ url: '/unprocessable' }), 'unprocessable', 422, '/unprocessable');
    expect(body['reason']).toBe('nhs-number-not-found');
    expect(body['errors']).toEqual([{ pointer: '/body/nhsNumber', detail: 'is not known to the directory' }]);
  });

  it('answers any other error with a 500 that reveals nothing, and logs it at error level', async () => {
    app = build();
    const response = await app.inject({ url: '/boom' });
    const body = expectProblem(response, 'internal', 500, '/boom');
    for (const leak of ['database', '9434765919', 'TA1 1AA', 'Error', 'stack', '.ts:']) {
      expect(response.body).not.toContain(leak);
    }
    expect(body['detail']).toBe('An unexpected error occurred. Quote the requestId if you report it.');
    const errorLines = logs.lines().filter((line) => line['level'] === 'error');
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatchObject({
      requestId: body['requestId'],
      code: 'internal',
      err: { type: 'Error', message: expect.stringContaining('database said') as string },
    });
  });

  it('answers a HubError with a message-processing code as a 500', async () => {
    app = build();
    expectProblem(await app.inject({ url: '/message-code' }), 'internal', 500, '/message-code');
  });

  it('answers 503 processing-timeout when a handler overruns the handler timeout', async () => {
    app = build({ handlerTimeoutMs: 20 });
    expectProblem(await app.inject({ url: '/slow' }), 'processing-timeout', 503, '/slow');
  });
});

describe('dependency unavailability', () => {
  it('answers DependencyUnavailableError with 503 not-ready and Retry-After, naming neither the dependency nor the cause', async () => {
    app = build();
    for (const dependency of ['kafka', 'redis'] as const) {
      app.get(`/needs/${dependency === 'kafka' ? 'a' : 'b'}`, () => {
        throw new DependencyUnavailableError(dependency, { cause: new Error('connect ECONNREFUSED 10.1.2.3:9092') });
      });
    }
    for (const dependency of ['kafka', 'redis'] as const) {
      const path = `/needs/${dependency === 'kafka' ? 'a' : 'b'}`;
      const response = await app.inject({ url: path });
      const body = expectProblem(response, 'not-ready', 503, path);
      expect(response.headers['retry-after']).toBe('5');
      expect(body['detail']).toBe(DEPENDENCY_UNAVAILABLE_DETAIL);
      expect(response.body).not.toContain('10.1.2.3');
      expect(response.body).not.toContain(dependency);
    }
    const logged = logs.lines().filter((line) => line['msg'] === 'request not served: dependency unavailable');
    expect(logged.map((line) => line['dependency'])).toEqual(['kafka', 'redis']);
    expect(logs.text()).not.toContain('10.1.2.3');
  });

  it('sends Retry-After with every not-ready, and none with other errors', async () => {
    app = build();
    app.get('/shutting', () => {
      throw new HubError('not-ready', 'Retry later.');
    });
    expect((await app.inject({ url: '/shutting' })).headers['retry-after']).toBe('5');
    expect((await app.inject({ url: '/boom' })).headers['retry-after']).toBeUndefined();
  });
});
