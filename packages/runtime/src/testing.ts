/*
 * The route-test harness for every service's tests: `import { startRouteHarness } from '@hub/runtime/testing'`.
 * It runs the routes a test passes on a real runtime (createRuntime): real Kafka (an isolated topic namespace, every
 * topic provisioned), real Redis (an isolated key prefix), real auth with test clients holding their own key pairs,
 * the HTTP server with the catalogue check, the token endpoint and the JWKS. Integration tests only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { requestAccessToken, type TestClient } from '@hub/auth/testing';
import { auditEventsTopic, type AuditEvent, type HubServiceName } from '@hub/contracts';
import type { HttpServer, RouteBinding } from '@hub/http';
import { captureLogs, uniqueId, type CapturedLogs } from '@hub/testkit';
import { expect } from 'vitest';
import { createRuntime, type Runtime } from './runtime.ts';
import { defineService, type ServiceDeps, type ServiceFactory } from './service.ts';
import { prepareTestDeployment } from './test-deployment.ts';

export {
  prepareTestDeployment,
  TEST_TOKEN_URL,
  type PreparedTestDeployment,
  type TestDeployment,
  type TestDeploymentOptions,
} from './test-deployment.ts';

export interface RouteHarnessOptions {
  /** The service under test: names the process in logs and the face the `routes` are served under. */
  readonly service: HubServiceName;
  /** Registered with the hub's auth; `token(client)` signs their assertions with their own keys. */
  readonly clients: readonly TestClient[];
  /** Routes to serve: bindings, or built from the runtime's shared pieces (its Kafka, Redis, clock, keys...). */
  readonly routes?: readonly RouteBinding[] | ((deps: ServiceDeps) => readonly RouteBinding[]);
  /** Whole services (routes and steps, the steps started) when a test wants a service's face as the hub serves it. */
  readonly services?: readonly ServiceFactory[];
  /** The services' clock (not the auth layer's: tokens are checked against real time). Default the real clock. */
  readonly now?: () => Date;
  /** Configuration keys over the test defaults. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A request as a client sends it; the harness adds the bearer token. */
export interface TestRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  readonly url: string;
  readonly payload?: object | string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One audit event as read back from `audit.events.v1`, with its key. */
export interface PublishedAuditEvent {
  readonly key: string | null;
  readonly value: AuditEvent;
}

/** One HTTP app of the harness: `inject` sends a request as `client` (with its access token) or anonymously (null). */
export interface TestApp {
  readonly http: HttpServer;
  inject(client: TestClient | null, request: TestRequest): Promise<TestResponse>;
}

export type TestResponse = Awaited<ReturnType<typeof injectWith>>;

export interface RouteHarness extends TestApp {
  readonly runtime: Runtime;
  /** The runtime's shared pieces, as the routes got them (its Kafka, Redis, key store, directory, clock...). */
  readonly deps: ServiceDeps;
  /** Every line the runtime logged (both apps). */
  readonly logs: CapturedLogs;
  /** Every audit event published on the topic since the harness started, in arrival order. */
  readonly audited: readonly PublishedAuditEvent[];
  /** Audit events matching `filter`, once at least `expected` have arrived and a little longer for any stray extra. */
  auditedWhere(filter: (event: AuditEvent) => boolean, expected: number): Promise<AuditEvent[]>;
  /** An access token for `client` through the real token endpoint; one per client, reused. */
  token(client: TestClient): Promise<string>;
  /** Every access token handed out so far: none may reach a log line. */
  tokens(): Promise<readonly string[]>;
  /**
   * The same routes on a second runtime of the same deployment (same keys, clients, Redis) whose Kafka client is
   * closed before any request: every publish fails, as when the brokers are gone. Built once, closed by close().
   */
  withoutKafka(): Promise<TestApp>;
  close(): Promise<void>;
}

const STRAY_WAIT_MS = 750;
const AUDIT_WAIT_MS = 15_000;

function injectWith(http: HttpServer, token: string | null, request: TestRequest) {
  return http.inject({
    method: request.method,
    url: request.url,
    headers: { ...request.headers, ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  });
}

export async function startRouteHarness(options: RouteHarnessOptions): Promise<RouteHarness> {
  const deployment = await prepareTestDeployment({
    clients: options.clients,
    ...(options.env && { env: options.env }),
  });
  const logs = captureLogs(options.service);

  /** A runtime of this deployment serving the options' routes and services; resolves with its shared pieces too. */
  async function build(): Promise<{ runtime: Runtime; deps: ServiceDeps }> {
    let captured: ServiceDeps | undefined;
    const { routes } = options;
    const factories: ServiceFactory[] = [
      ...(options.services ?? []),
      ...(routes === undefined
        ? []
        : [
            (deps: ServiceDeps) => {
              const bindings = typeof routes === 'function' ? routes(deps) : routes;
              // The views its routes read are this face's, with their generation markers, as in the service's own.
              const views = [...new Set(bindings.flatMap((binding) => binding.route.reads ?? []))];
              return defineService({ name: options.service, routes: bindings, views });
            },
          ]),
    ];
    const runtime = await createRuntime({
      name: options.service,
      config: deployment.config,
      logger: logs.logger,
      ...(options.now && { now: options.now }),
      services: factories.map((factory) => (deps: ServiceDeps) => {
        captured = deps;
        return factory(deps);
      }),
    });
    if (captured === undefined) throw new Error('startRouteHarness needs routes or services');
    return { runtime, deps: captured };
  }

  const { runtime, deps } = await build().catch(async (error: unknown) => {
    await deployment.remove();
    throw error;
  });
  const audited: PublishedAuditEvent[] = [];
  try {
    await runtime.start();
    await deps.kafka.consume(auditEventsTopic, {
      groupId: uniqueId('audit-collector'),
      maxWaitTimeMs: 100,
      handle: (message) => {
        audited.push({ key: message.key, value: message.value });
        return Promise.resolve();
      },
    });
  } catch (error) {
    // A failed start leaves nothing running: the runtime's connections and the temp dir go with it.
    await runtime.stop().catch(() => undefined);
    await deployment.remove();
    throw error;
  }

  const issued = new Map<string, Promise<string>>();
  function token(client: TestClient): Promise<string> {
    // One token per client: tests outlast no token's lifetime (300 s), and each is then checked against the logs.
    let pending = issued.get(client.clientId);
    if (pending === undefined) {
      pending = requestAccessToken(runtime.http, client, { tokenUrl: deployment.config.HUB_TOKEN_URL });
      issued.set(client.clientId, pending);
    }
    return pending;
  }
  const appOf = (http: HttpServer): TestApp => ({
    http,
    inject: async (client, request) => injectWith(http, client === null ? null : await token(client), request),
  });

  let closedKafka: Promise<Runtime> | undefined;
  return {
    ...appOf(runtime.http),
    runtime,
    deps,
    logs,
    audited,
    async auditedWhere(filter, expected) {
      const matching = () => audited.filter(({ value }) => filter(value)).map(({ value }) => value);
      await expect.poll(() => matching().length, { timeout: AUDIT_WAIT_MS }).toBeGreaterThanOrEqual(expected);
      await sleep(STRAY_WAIT_MS);
      return matching();
    },
    token,
    tokens: () => Promise.all(issued.values()),
    async withoutKafka() {
      closedKafka ??= build().then(async (second) => {
        // Its views are the first runtime's (same Redis, same markers): checked while Kafka is there, so what the
        // routes answer next is about Kafka alone.
        await second.runtime.views.start();
        await second.deps.kafka.close();
        return second.runtime;
      });
      return appOf((await closedKafka).http);
    },
    async close() {
      await (await closedKafka?.catch(() => undefined))?.stop();
      await runtime.stop();
      await deployment.remove();
    },
  };
}
