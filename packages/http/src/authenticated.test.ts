import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HubError } from '@hub/errors';
import { createHttpServer, registerAuthenticated, type HttpServer } from './index.ts';
import { captureLogs } from '@hub/testkit';

let app: HttpServer | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(): HttpServer {
  const server = createHttpServer({ logger: captureLogs().logger, serviceName: 'test' });
  registerAuthenticated(
    server,
    {
      prefix: '/v1',
      authenticate: (request) => {
        const header = request.headers.authorization;
        if (header === undefined) throw new HubError('unauthenticated', 'A bearer token is required.');
        if (header !== 'Bearer good') throw new HubError('forbidden', 'This client may not call this route.');
      },
    },
    (scope) => {
      scope.post('/notifications', { schema: { body: z.object({ ref: z.string().max(20) }).strict() } }, (request) => ({
        ref: request.body.ref,
      }));
    },
  );
  return server;
}

describe('registerAuthenticated', () => {
  it('runs authenticate before the scope routes and answers its HubError as problem+json', async () => {
    app = build();
    const url = '/v1/notifications';
    const none = await app.inject({ method: 'POST', url, payload: { ref: 'a' } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toBe('application/problem+json');
    expect(none.json()).toMatchObject({ code: 'unauthenticated', detail: 'A bearer token is required.' });

    const wrong = await app.inject({ method: 'POST', url, headers: { authorization: 'Bearer bad' }, payload: {} });
    expect(wrong.json()).toMatchObject({ status: 403, code: 'forbidden' });

    const good = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: 'Bearer good' },
      payload: { ref: 'a' },
    });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toEqual({ ref: 'a' });
  });

  it('keeps the cross-cutting behaviour (validation problems, request ids) inside the scope', async () => {
    app = build();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: 'Bearer good', 'x-request-id': '3f1c2a4d-5e6f-4d3a-9b1e-0b0a4f0e6c54' },
      payload: { ref: 'a', extra: true },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['x-request-id']).toBe('3f1c2a4d-5e6f-4d3a-9b1e-0b0a4f0e6c54');
    expect(response.json()).toMatchObject({
      requestId: '3f1c2a4d-5e6f-4d3a-9b1e-0b0a4f0e6c54',
      errors: [{ pointer: '/body', detail: 'Unknown fields are not allowed (1).' }],
    });
  });

  it('leaves the health routes unauthenticated', async () => {
    app = build();
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/ready' })).statusCode).toBe(200);
  });
});
