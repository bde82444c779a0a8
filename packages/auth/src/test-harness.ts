// This package's integration tests only: a real fastify app (app.inject), real Redis, real key files. Auth's own
// mechanics on arbitrary test routes, so not @hub/runtime/testing (the route-test harness every service uses): that
// package depends on this one. It shares the clients, key store, temp dir and registry of ./testing.ts instead.
import { callerOf, createAuth, type Auth, type AuthEvent, type ClientRegistry } from './index.ts';
import { loadClientRegistry } from './registry.ts';
import {
  createTempDir,
  createTestClient,
  createTestKeyStore,
  writeClientRegistry,
  type TempDir,
  type TestClient,
} from './testing.ts';
import { createHttpServer, type HttpServer } from '@hub/http';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import type { HubKeyStore } from '@hub/signing';
import { captureLogs, isolatedRedisPrefix, testEndpoints, type CapturedLogs } from '@hub/testkit';

export const TOKEN_URL = 'https://hub.test.invalid/oauth2/token';
export const ISSUER = 'https://hub.test.invalid';

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
  /** Makes onAuthEvent throw for `issued` events. */
  failAudit: boolean;
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
  const app = createHttpServer({ logger: logs.logger, serviceName: 'auth-test' });

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
      if (harness.failAudit && event.outcome === 'issued') throw new Error('audit store down');
      events.push(event);
    },
  });
  Object.assign(harness, { auth });

  auth.registerTokenEndpoint(app);
  auth.registerProtected(app, { prefix: '/v1' }, (scope) => {
    scope.get('/police-only', { onRequest: auth.requireRole('police') }, (request) => ({ caller: callerOf(request) }));
    scope.post('/gp-or-marac', { onRequest: auth.requireRole('gp', 'marac') }, (request) => ({
      caller: callerOf(request),
    }));
  });
  await app.ready();
  return harness;
}
