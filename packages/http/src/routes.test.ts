import { HTTP_ROUTES, type Caller, type ClientRole, type HttpRoute } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { captureLogs } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { bindRoute, createHttpServer, serveRoutes, servedRoutes, type RouteGuard } from './index.ts';

/** Every view built: the routes' own behaviour is under test. */
const allReady = () => true;

const police: Caller = { clientId: 'police-asp', role: 'police', organisation: 'ASP' };
const RECEIPT = `rcpt_${'a'.repeat(32)}`;

function server(
  catalogue: readonly HttpRoute[] = [HTTP_ROUTES.getReceiptStatus, HTTP_ROUTES.getLiveness, HTTP_ROUTES.getReadiness],
) {
  return createHttpServer({ logger: captureLogs().logger, serviceName: 'routes-test', catalogue });
}

const receipt = bindRoute(HTTP_ROUTES.getReceiptStatus, ({ caller, params }) =>
  Promise.resolve({
    receiptId: params.receiptId,
    incidentId: caller.organisation,
    receivedAt: '2026-11-23T09:00:00.000Z',
    amendsReceiptId: null,
    recipients: [],
  }),
);

describe('routes bound to their contract entry', () => {
  it('refuses, at start-up, a route the catalogue does not declare', async () => {
    const app = server();
    expect(() => app.get('/v1/undeclared', () => ({}))).toThrow(
      'route GET /v1/undeclared is not in the HTTP catalogue',
    );
    await app.close();
  });

  it('refuses, at start-up, a protected catalogue route added without serveRoutes and its guard', async () => {
    const app = server();
    const message =
      'route GET /v1/domestic-abuse-incidents/{receiptId} has roles in the catalogue: serve it with serveRoutes and a guard';
    expect(() => app.get('/v1/domestic-abuse-incidents/:receiptId', () => ({}))).toThrow(message);
    // A hook of its own is not the guard either.
    expect(() =>
      app.get('/v1/domestic-abuse-incidents/:receiptId', { onRequest: () => Promise.resolve() }, () => ({})),
    ).toThrow(message);
    // A public entry may be added directly (the health routes are).
    expect(servedRoutes(app)).toEqual(['GET /health/live', 'GET /health/ready']);
    await app.close();
  });

  it("guards a protected route with the contract's roles and hands the handler the caller", async () => {
    const asked: (readonly ClientRole[])[] = [];
    const entries: string[] = [];
    const guard: RouteGuard = (_request, _reply, roles, route) => {
      asked.push(roles);
      entries.push(route.operationId);
      return Promise.resolve(police);
    };
    const app = server();
    serveRoutes(app, [receipt], guard, allReady);
    const answer = await app.inject({ method: 'GET', url: `/v1/domestic-abuse-incidents/${RECEIPT}` });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ receiptId: RECEIPT, incidentId: 'ASP' });
    expect(asked).toEqual([HTTP_ROUTES.getReceiptStatus.roles]);
    // The whole entry too: its principals say whether a console session may stand for a token.
    expect(entries).toEqual(['getReceiptStatus']);
    expect(servedRoutes(app)).toEqual([
      'GET /health/live',
      'GET /health/ready',
      'GET /v1/domestic-abuse-incidents/{receiptId}',
    ]);
  });

  it('never runs the handler when the guard refuses', async () => {
    let ran = false;
    const app = server();
    serveRoutes(
      app,
      [
        bindRoute(HTTP_ROUTES.getReceiptStatus, () => {
          ran = true;
          return Promise.reject(new Error('must not run'));
        }),
      ],
      () => Promise.reject(new HubError('forbidden', 'This client may not call this route.')),
      allReady,
    );
    const answer = await app.inject({ method: 'GET', url: `/v1/domestic-abuse-incidents/${RECEIPT}` });
    expect(answer.statusCode).toBe(403);
    expect(ran).toBe(false);
  });

  it("validates params with the contract's schema (400 naming the field) before the handler", async () => {
    const app = server();
    serveRoutes(app, [receipt], () => Promise.resolve(police), allReady);
    const answer = await app.inject({ method: 'GET', url: '/v1/domestic-abuse-incidents/rcpt_nope' });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'validation-failed', errors: [{ pointer: '/params/receiptId' }] });
  });

  it("sends the contract's success status and its fixed cache-control, and no guard on a public route", async () => {
    const app = server([HTTP_ROUTES.getJwks, HTTP_ROUTES.getLiveness, HTTP_ROUTES.getReadiness]);
    let guarded = false;
    serveRoutes(
      app,
      [
        bindRoute(HTTP_ROUTES.getJwks, () =>
          Promise.resolve({
            keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def', kid: 'k1', alg: 'ES256', use: 'sig' } as const],
          }),
        ),
      ],
      () => {
        guarded = true;
        return Promise.resolve(police);
      },
    );
    const answer = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('public, max-age=300');
    expect(guarded).toBe(false);
  });

  it('answers 503 not-ready with Retry-After, naming the view, while a view the route reads is not ready; never runs the handler', async () => {
    // The receipt's own view is ready; its status view is not.
    const ready = new Set<string>(['incident-versions']);
    let ran = 0;
    const app = server([
      HTTP_ROUTES.getReceiptStatus,
      HTTP_ROUTES.getJwks,
      HTTP_ROUTES.getLiveness,
      HTTP_ROUTES.getReadiness,
    ]);
    const counted = bindRoute(HTTP_ROUTES.getReceiptStatus, (input) => {
      ran += 1;
      return receipt.handle(input);
    });
    const jwks = bindRoute(HTTP_ROUTES.getJwks, () =>
      Promise.resolve({
        keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def', kid: 'k1', alg: 'ES256', use: 'sig' } as const],
      }),
    );
    const asked: string[] = [];
    serveRoutes(
      app,
      [counted, jwks],
      () => Promise.resolve(police),
      (view) => {
        asked.push(view);
        return ready.has(view);
      },
    );
    const url = `/v1/domestic-abuse-incidents/${RECEIPT}`;
    const refused = await app.inject({ method: 'GET', url });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toMatchObject({
      code: 'not-ready',
      detail: expect.stringContaining('receipt-status') as string,
    });
    expect(ran).toBe(0);
    // A route that reads no view is never held back.
    expect((await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode).toBe(200);
    expect(asked).toEqual(['incident-versions', 'receipt-status']);

    ready.add('receipt-status');
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(ran).toBe(1);
  });

  it('asks about views only after the guard: a refused caller learns nothing about them', async () => {
    const app = server();
    let asked = false;
    serveRoutes(
      app,
      [receipt],
      () => Promise.reject(new HubError('unauthenticated', 'No token.')),
      () => {
        asked = true;
        return false;
      },
    );
    const answer = await app.inject({ method: 'GET', url: `/v1/domestic-abuse-incidents/${RECEIPT}` });
    expect(answer.statusCode).toBe(401);
    expect(asked).toBe(false);
  });

  it('refuses, at start-up, a route that reads views served without their readiness', async () => {
    const app = server();
    expect(() => {
      serveRoutes(app, [receipt], () => Promise.resolve(police));
    }).toThrow('route getReceiptStatus reads views (incident-versions, receipt-status): serve it with their readiness');
    await app.close();
  });
});
