// This package's integration tests only: a real fastify app (app.inject), real Redis, real key files. Auth's own
// mechanics on arbitrary test routes, so not @hub/runtime/testing (the route-test harness every service uses): that
// package depends on this one. It shares the clients, key store, temp dir and registry of ./testing.ts instead.
import { z } from 'zod';
import { caller, HTTP_ROUTES, problemDetails, type HttpRoute } from '@hub/contracts';
import { createAuth, type Auth, type AuthEvent, type ClientRegistry } from './index.ts';
import { loadClientRegistry } from './registry.ts';
import {
  createTempDir,
  createTestClient,
  createTestKeyStore,
  writeClientRegistry,
  type TempDir,
  type TestClient,
} from './testing.ts';
import { DependencyUnavailableError } from '@hub/errors';
import { bindRoute, createHttpServer, serveRoutes, type HttpServer } from '@hub/http';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import type { HubKeyStore } from '@hub/signing';
import { captureLogs, isolatedRedisPrefix, testEndpoints, type CapturedLogs } from '@hub/testkit';

export const TOKEN_URL = 'https://hub.test.invalid/oauth2/token';
export const ISSUER = 'https://hub.test.invalid';

const callerAnswer = z.object({ caller }).strict();

/**
 * The test's own contract entries, served exactly as production serves the hub's: `serveRoutes(app, bindings,
 * auth.guard)` on a server whose catalogue they are.
 */
export const TEST_ROUTES = {
  policeOnly: {
    operationId: 'policeOnly',
    method: 'get',
    path: '/v1/police-only',
    tag: 'auth',
    summary: 'Police only',
    description: 'A protected test route.',
    roles: ['police'],
    responses: { 200: { description: 'The caller.', schema: callerAnswer } },
    problemSchema: problemDetails,
    problems: [],
  },
  gpOrMarac: {
    operationId: 'gpOrMarac',
    method: 'post',
    path: '/v1/gp-or-marac',
    tag: 'auth',
    summary: 'GP or MARAC',
    description: 'A protected test route with a strict body.',
    roles: ['gp', 'marac'],
    body: {
      contentType: 'application/json',
      schema: z.object({ note: z.string().max(20).optional() }).strict(),
      required: true,
    },
    responses: { 200: { description: 'The caller.', schema: callerAnswer } },
    problemSchema: problemDetails,
    problems: [],
  },
  open: {
    operationId: 'open',
    method: 'get',
    path: '/v1/open',
    tag: 'auth',
    summary: 'Public',
    description: 'A public test route (no roles): no guard, no caller.',
    roles: [],
    responses: { 200: { description: 'Whether a caller was given.', schema: z.object({ callerGiven: z.boolean() }) } },
    problemSchema: problemDetails,
    problems: [],
  },
} as const satisfies Record<string, HttpRoute>;

export const TEST_CATALOGUE: readonly HttpRoute[] = [
  ...Object.values(TEST_ROUTES),
  HTTP_ROUTES.requestAccessToken,
  HTTP_ROUTES.getLiveness,
  HTTP_ROUTES.getReadiness,
];

export interface Harness {
  readonly app: HttpServer;
  readonly auth: Auth;
  readonly registry: ClientRegistry;
  readonly keyStore: HubKeyStore;
  readonly redis: RedisClient;
  readonly logs: CapturedLogs;
  readonly events: AuthEvent[];
  readonly dir: TempDir;
  readonly registryFile: string;
  /** Milliseconds; the auth layer's clock. Move it to test expiry without waiting. */
  readonly clock: { now: number };
  readonly police: TestClient;
  readonly gp: TestClient;
  readonly marac: TestClient;
  /** The operationId of every handler run, in order: a refused request adds nothing. */
  readonly handled: string[];
  /** Makes onAuthEvent throw for `issued` events: an error of its own (`true`), or the audit trail unavailable. */
  failAudit: boolean | 'unavailable';
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dir = await createTempDir();
  const logs = captureLogs('auth-test');
  const police = createTestClient({ clientId: 'police-asp', role: 'police', organisation: 'ASP', alg: 'ES256' });
  const gp = createTestClient({ clientId: 'gp-a81001', role: 'gp', organisation: 'A81001', alg: 'RS512' });
  const marac = createTestClient({ clientId: 'marac-somerset', role: 'marac', organisation: 'E06000066' });
  const registryFile = await writeClientRegistry(dir.path, [police, gp, marac]);
  const registry = await loadClientRegistry({ file: registryFile, logger: logs.logger });
  const keyStore = await createTestKeyStore(dir.path);
  const redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'auth-test',
    logger: logs.logger,
  });
  const events: AuthEvent[] = [];
  const clock = { now: Date.now() };
  const handled: string[] = [];
  const app = createHttpServer({ logger: logs.logger, serviceName: 'auth-test', catalogue: TEST_CATALOGUE });

  const harness: Harness = {
    app,
    auth: undefined as unknown as Auth,
    registry,
    keyStore,
    redis,
    logs,
    events,
    dir,
    registryFile,
    clock,
    police,
    gp,
    marac,
    handled,
    failAudit: false,
    async close() {
      await app.close();
      await closeRedis(redis);
      await dir.remove();
    },
  };
  const auth = createAuth({
    registry,
    keyStore,
    redis,
    tokenUrl: TOKEN_URL,
    logger: logs.logger,
    now: () => clock.now,
    onAuthEvent: (event) => {
      if (harness.failAudit === 'unavailable' && event.outcome === 'issued') {
        throw new DependencyUnavailableError('kafka');
      }
      if (harness.failAudit === true && event.outcome === 'issued') throw new Error('audit store down');
      events.push(event);
    },
  });
  Object.assign(harness, { auth });

  auth.registerTokenEndpoint(app);
  serveRoutes(
    app,
    [
      bindRoute(TEST_ROUTES.policeOnly, ({ caller: who }) => {
        handled.push('policeOnly');
        return Promise.resolve({ caller: who });
      }),
      bindRoute(TEST_ROUTES.gpOrMarac, ({ caller: who }) => {
        handled.push('gpOrMarac');
        return Promise.resolve({ caller: who });
      }),
      bindRoute(TEST_ROUTES.open, ({ caller: who }) => {
        handled.push('open');
        // Typed `undefined` on a public route; checked at run time all the same.
        return Promise.resolve({ callerGiven: (who as unknown) !== undefined });
      }),
    ],
    auth.guard,
  );
  await app.ready();
  return harness;
}
