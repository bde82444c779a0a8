// The console session guard (session.ts) on the test's own contract entries, served as production serves them.
// The sessions are a small in-memory SessionVerifier: the console's Redis store has its own tests
// (services/console); here it is the guard's decisions that are under test, with real Redis for the auth layer.
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { caller, HTTP_ROUTES, problemDetails, type Caller, type HttpRoute } from '@hub/contracts';
import { bindRoute, createHttpServer, serveRoutes, type HttpServer } from '@hub/http';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { createAuth, type AuthEvent } from './index.ts';
import { loadClientRegistry } from './registry.ts';
import type { PersonSession, SessionVerifier } from './session.ts';
import {
  createTempDir,
  createTestClient,
  createTestKeyStore,
  requestAccessToken,
  writeClientRegistry,
  type TempDir,
  type TestClient,
} from './testing.ts';

const TOKEN_URL = 'https://hub.test.invalid/oauth2/token';
const answer = z.object({ caller }).strict();
const IG = ['ig-officer', 'ig-officer-national'] as const;

function entry(operationId: string, method: 'get' | 'post', principals?: HttpRoute['principals']): HttpRoute {
  return {
    operationId,
    method,
    path: `/v1/${operationId}`,
    tag: 'console',
    summary: operationId,
    description: 'A protected test route.',
    roles: IG,
    ...(principals === undefined ? {} : { principals }),
    ...(method === 'post'
      ? { body: { contentType: 'application/json', schema: z.object({}).strict(), required: false } }
      : {}),
    responses: { 200: { description: 'The caller.', schema: answer } },
    problemSchema: problemDetails,
    problems: [],
  };
}

const ROUTES = {
  personOnly: entry('personOnly', 'get', ['person']),
  either: entry('either', 'post', ['client', 'person']),
  clientOnly: entry('clientOnly', 'get'),
  policeByPerson: { ...entry('policeByPerson', 'get', ['person']), roles: ['police'] } satisfies HttpRoute,
};

const OFFICER: Caller = { clientId: 'local:ig-0001', role: 'ig-officer', organisation: 'E06000066' };
const CSRF = 'c'.repeat(43);

/** Sessions by cookie value `hub_console=<id>`. */
const sessions = new Map<string, PersonSession>();
const verifier: SessionVerifier = {
  carries: (request) => /(?:^|;\s*)hub_console=/.test(request.headers.cookie ?? ''),
  verify: (request) => {
    const id = /(?:^|;\s*)hub_console=([^;]*)/.exec(request.headers.cookie ?? '')?.[1] ?? '';
    return Promise.resolve(sessions.get(id));
  },
};

let app: HttpServer;
let redis: RedisClient;
let dir: TempDir;
let igClient: TestClient;
let igToken: string;
const events: AuthEvent[] = [];
const logs = captureLogs('auth-session-test');

beforeAll(async () => {
  dir = await createTempDir();
  igClient = createTestClient({ clientId: 'ig-somerset', role: 'ig-officer', organisation: 'E06000066' });
  const registry = await loadClientRegistry({
    file: await writeClientRegistry(dir.path, [igClient]),
    logger: logs.logger,
  });
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'auth-session-test',
    logger: logs.logger,
  });
  const auth = createAuth({
    registry,
    keyStore: await createTestKeyStore(dir.path),
    redis,
    tokenUrl: TOKEN_URL,
    logger: logs.logger,
    onAuthEvent: (event) => {
      events.push(event);
    },
  });
  app = createHttpServer({
    logger: logs.logger,
    serviceName: 'auth-session-test',
    catalogue: [
      ...Object.values(ROUTES),
      HTTP_ROUTES.requestAccessToken,
      HTTP_ROUTES.getLiveness,
      HTTP_ROUTES.getReadiness,
    ],
  });
  auth.registerTokenEndpoint(app);
  serveRoutes(
    app,
    Object.values(ROUTES).map((route) => bindRoute(route, ({ caller: who }) => Promise.resolve({ caller: who }))),
    auth.guardWithSessions(verifier),
  );
  await app.ready();
  igToken = await requestAccessToken(app, igClient, { tokenUrl: TOKEN_URL });
  sessions.set('good', { caller: OFFICER, csrfToken: CSRF });
});

afterAll(async () => {
  await app.close();
  await closeRedis(redis);
  await dir.remove();
  // The person's session id and CSRF token never reach a log line.
  expect(logs.text()).not.toContain(CSRF);
});

beforeEach(() => {
  events.length = 0;
});

function call(route: HttpRoute, headers: Record<string, string>) {
  return app.inject({
    method: route.method.toUpperCase() as 'GET' | 'POST',
    url: route.path,
    headers: { ...headers, ...(route.method === 'post' ? { 'content-type': 'application/json' } : {}) },
    ...(route.method === 'post' ? { payload: '{}' } : {}),
  });
}

const refusal = () => events.at(-1);

describe('a route that admits people', () => {
  it('takes a session cookie and hands the handler the person as the caller', async () => {
    const response = await call(ROUTES.personOnly, { cookie: 'hub_console=good' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ caller: OFFICER });
  });

  it('refuses an unknown or ended session with 401, audited as session-invalid', async () => {
    const response = await call(ROUTES.personOnly, { cookie: 'hub_console=gone' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'unauthenticated' });
    expect(refusal()).toMatchObject({ outcome: 'refused', reason: 'session-invalid', route: '/v1/personOnly' });
  });

  it('refuses a bearer token when only people are admitted (deny by default)', async () => {
    const response = await call(ROUTES.personOnly, { authorization: `Bearer ${igToken}` });
    expect(response.statusCode).toBe(401);
    expect(refusal()).toMatchObject({ reason: 'no-session' });
  });

  it('requires the session CSRF token on an unsafe method: none or a wrong one is 403, audited', async () => {
    const none = await call(ROUTES.either, { cookie: 'hub_console=good' });
    expect(none.statusCode).toBe(403);
    expect(none.json()).toMatchObject({ code: 'forbidden' });
    expect(refusal()).toMatchObject({ reason: 'csrf-token', clientId: OFFICER.clientId, role: 'ig-officer' });
    const wrong = await call(ROUTES.either, { cookie: 'hub_console=good', 'x-csrf-token': 'd'.repeat(43) });
    expect(wrong.statusCode).toBe(403);
    const short = await call(ROUTES.either, { cookie: 'hub_console=good', 'x-csrf-token': 'c' });
    expect(short.statusCode).toBe(403);
    const right = await call(ROUTES.either, { cookie: 'hub_console=good', 'x-csrf-token': CSRF });
    expect(right.statusCode).toBe(200);
    expect(right.json()).toEqual({ caller: OFFICER });
  });

  it('still takes a bearer token where clients are admitted too; a token with a cookie is the client', async () => {
    const client = { clientId: 'ig-somerset', role: 'ig-officer', organisation: 'E06000066' };
    const bearer = await call(ROUTES.either, { authorization: `Bearer ${igToken}` });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json()).toEqual({ caller: client });
    const both = await call(ROUTES.either, { authorization: `Bearer ${igToken}`, cookie: 'hub_console=good' });
    expect(both.json()).toEqual({ caller: client });
  });

  it("refuses a person whose role is not the route's with 403", async () => {
    const response = await call(ROUTES.policeByPerson, { cookie: 'hub_console=good' });
    expect(response.statusCode).toBe(403);
    expect(refusal()).toMatchObject({ reason: 'role-not-allowed', clientId: OFFICER.clientId });
  });
});

describe('a route that admits clients only', () => {
  it('ignores a session cookie: without a bearer token it is 401 no-token', async () => {
    const response = await call(ROUTES.clientOnly, { cookie: 'hub_console=good' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="safeguarding-hub"');
    expect(refusal()).toMatchObject({ reason: 'no-token' });
  });
});
