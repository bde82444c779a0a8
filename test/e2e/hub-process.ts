/*
 * The real hub as a child process (`node services/hub/src/main.ts`), for tests that kill and restart it and for
 * benchmarks that must not share a process (or a CPU budget) with the hub. The environment is built the way
 * services/hub/src/testing.ts builds it: an isolated topic namespace, Redis key prefix and PostgreSQL schema, a client registry of test
 * clients with their own key pairs, hub signing keys generated into a temp dir. The port is found once, before the
 * first start, and kept, so the hub's URL (and so everything the clients hold) survives a restart.
 *
 * No vitest here (no `inject`): the caller passes the Kafka, Redis and PostgreSQL endpoints, so benchmarks can use it
 * too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ClientRole } from '@hub/contracts';
import { dropTestSchemas } from '@hub/postgres/testing';
import { verify, type PublicJwks } from '@hub/signing';
import { isolatedPostgresSchema, isolatedRedisPrefix, isolatedTopicNamespace } from '@hub/testkit';
import {
  createTempDir,
  createTestClient,
  signClientAssertion,
  tokenRequestBody,
  writeClientRegistry,
  type TempDir,
  type TestClient,
} from '@hub/auth/testing';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const MAIN = join(REPO_ROOT, 'services/hub/src/main.ts');
/** The token URL is the `aud` of every client assertion; a fixed string, as in services/hub/src/testing.ts. */
const TOKEN_URL = 'http://hub.test/oauth2/token';
/** Lines of the child's stdout and stderr kept for a failure message. */
const OUTPUT_LINES = 200;

export interface Endpoints {
  readonly kafkaBrokers: readonly string[];
  readonly redisUrl: string;
  readonly postgresUrl: string;
}

/** `KAFKA_BROKERS`, `REDIS_URL` and `POSTGRES_URL` from the environment, else infra/local's defaults. */
export function localEndpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const brokers = env['KAFKA_BROKERS'];
  const redisUrl = env['REDIS_URL'];
  const postgresUrl = env['POSTGRES_URL'];
  return {
    kafkaBrokers: brokers === undefined || brokers === '' ? ['127.0.0.1:9092'] : brokers.split(','),
    redisUrl: redisUrl === undefined || redisUrl === '' ? 'redis://127.0.0.1:6380' : redisUrl,
    postgresUrl: postgresUrl === undefined || postgresUrl === '' ? 'postgres://hub@127.0.0.1:5433/hub' : postgresUrl,
  };
}

export type ClientSpec = Readonly<Record<string, { readonly role: ClientRole; readonly organisation: string }>>;

/** The clients of the Whitlock flow: the force, the three practices, the Somerset MARAC. */
export const FLOW_CLIENTS = {
  police: { role: 'police', organisation: 'ASP' },
  gpVictim: { role: 'gp', organisation: 'L85901' },
  gpOther: { role: 'gp', organisation: 'L85902' },
  gpPerpetrator: { role: 'gp', organisation: 'L85904' },
  marac: { role: 'marac', organisation: 'E06000066' },
} as const satisfies ClientSpec;

export interface HubProcessOptions extends Endpoints {
  readonly clients?: ClientSpec;
  /** Default `warn`. */
  readonly logLevel?: string;
  /** Extra environment for the hub (wins over the defaults). */
  readonly env?: Readonly<Record<string, string>>;
  /** The entry point, run from its own root (default services/hub/src/main.ts, from the repository's root). */
  readonly main?: { readonly file: string; readonly cwd: string };
  /**
   * Another process of the same deployment: its topics, Redis keys, PostgreSQL schema, clients and keys (give this
   * one its own `KAFKA_INSTANCE_NAME` in `env`). Its stop leaves them to the first.
   */
  readonly joining?: HubProcess;
}

/** What every process of one deployment shares. */
export interface HubDeployment {
  readonly namespace: string;
  readonly redisPrefix: string;
  readonly postgresSchema: string;
  readonly registryFile: string;
  readonly signingKeysFile: string;
  readonly clients: Readonly<Record<string, TestClient>>;
}

export interface HubProcess {
  readonly url: string;
  readonly port: number;
  readonly namespace: string;
  readonly redisPrefix: string;
  /** What a `joining` process shares with this one. */
  readonly deployment: HubDeployment;
  /** The child's pid while it runs. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Spawns the hub and resolves once `/health/ready` answers 200; rejects (with its output) if it exits first. */
  start(timeoutMs?: number): Promise<void>;
  /** Sends `signal` at once (default SIGKILL) and resolves when the child has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, up to `graceMs` for a clean stop, then SIGKILL; then removes the temp dir. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** An access token for a named client through the real token endpoint (cached until a minute before expiry). */
  token(client: string): Promise<string>;
  /** fetch against the hub with a bearer token for `client` (or none). A 401 refreshes the token once. */
  call(client: string | null, path: string, init?: RequestInit): Promise<Response>;
  /** The hub's published JWKS. */
  jwks(): Promise<PublicJwks>;
  /** The last lines the child wrote (both streams), for failure messages. */
  output(): string;
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; the listener is closed before returning). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

export async function createHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const dir: TempDir = await createTempDir();
  const joined = options.joining?.deployment;
  const clients: Readonly<Record<string, TestClient>> =
    joined?.clients ??
    Object.fromEntries(
      Object.entries(options.clients ?? FLOW_CLIENTS).map(([name, spec]) => [
        name,
        createTestClient({ role: spec.role, organisation: spec.organisation, clientId: `${name}-client` }),
      ]),
    );
  const deployment: HubDeployment = joined ?? {
    namespace: isolatedTopicNamespace(),
    redisPrefix: isolatedRedisPrefix(),
    postgresSchema: isolatedPostgresSchema(),
    registryFile: await writeClientRegistry(dir.path, Object.values(clients)),
    signingKeysFile: join(dir.path, 'hub-signing-keys.json'),
    clients,
  };
  const { namespace, redisPrefix, postgresSchema, registryFile } = deployment;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Built from nothing but PATH, so nothing of the caller's environment (NODE_OPTIONS, POLICY_FILE, ...) leaks in.
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    KAFKA_BROKERS: options.kafkaBrokers.join(','),
    KAFKA_TOPIC_NAMESPACE: namespace,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    POSTGRES_URL: options.postgresUrl,
    POSTGRES_SCHEMA: postgresSchema,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    HUB_CLIENTS_FILE: registryFile,
    HUB_SIGNING_KEYS_FILE: deployment.signingKeysFile,
    HUB_SIGNING_KEYS_GENERATE: 'true',
    HUB_TOKEN_URL: TOKEN_URL,
    LOG_LEVEL: options.logLevel ?? 'warn',
    // Benchmarks poll inboxes every 20 ms and post bursts as one client: they measure the hub, not its rate limit.
    HTTP_RATE_LIMIT_PER_CLIENT_PER_MINUTE: '60000',
    ...options.env,
  };

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  /** Set as soon as stop() is called, so a start() racing it (a timed-out test still running) spawns nothing. */
  let stopped = false;
  let removed = false;
  const lines: string[] = [];
  const tokens = new Map<string, { token: string; until: number }>();
  // If the parent exits without stopping us (a crashed runner), the child must not outlive it.
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };

  function keep(chunk: Buffer): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line.length > 2_000 ? `${line.slice(0, 2_000)}…` : line);
      if (lines.length > OUTPUT_LINES) lines.shift();
    }
  }

  const isRunning = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!isRunning()) throw new Error(`the hub exited before it was ready:\n${lines.join('\n')}`);
      try {
        const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        last = `${response.status} ${await response.text()}`;
        if (response.status === 200) return;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(100);
    }
    throw new Error(`the hub was not ready within ${timeoutMs} ms (last: ${last}):\n${lines.join('\n')}`);
  }

  async function fetchToken(client: string): Promise<string> {
    const cached = tokens.get(client);
    if (cached !== undefined && cached.until > Date.now()) return cached.token;
    const testClient = clients[client];
    if (testClient === undefined) throw new Error(`no client named ${client}`);
    const response = await fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: tokenRequestBody(signClientAssertion(testClient, TOKEN_URL)),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 200) throw new Error(`token refused: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    tokens.set(client, { token: body.access_token, until: Date.now() + (body.expires_in - 60) * 1000 });
    return body.access_token;
  }

  async function call(client: string | null, path: string, init: RequestInit = {}): Promise<Response> {
    const send = async (): Promise<Response> => {
      const headers = new Headers(init.headers);
      if (client !== null) headers.set('authorization', `Bearer ${await fetchToken(client)}`);
      if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${url}${path}`, { signal: AbortSignal.timeout(15_000), ...init, headers });
    };
    const response = await send();
    if (response.status !== 401 || client === null) return response;
    tokens.delete(client);
    return send();
  }

  async function kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (isRunning()) child?.kill(signal);
    await exited;
  }

  return {
    url,
    port,
    namespace,
    redisPrefix,
    deployment,
    get pid() {
      return isRunning() ? child?.pid : undefined;
    },
    get running() {
      return isRunning();
    },
    async start(timeoutMs = 60_000) {
      if (isRunning()) throw new Error('the hub is already running');
      if (stopped) throw new Error('the hub process was stopped for good');
      lines.push(`--- start ${new Date().toISOString()}`);
      // BENCH_CPU_PROF_DIR: the hub writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
      const profileDir = process.env['BENCH_CPU_PROF_DIR'];
      const flags = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
      const spawned = spawn(process.execPath, [...flags, options.main?.file ?? MAIN], {
        cwd: options.main?.cwd ?? REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = spawned;
      spawned.stdout.on('data', keep);
      spawned.stderr.on('data', keep);
      exited = new Promise((resolveExit) => {
        spawned.once('exit', (code, signal) => {
          lines.push(`--- exit code=${String(code)} signal=${String(signal)}`);
          process.off('exit', killOnExit);
          resolveExit();
        });
      });
      process.once('exit', killOnExit);
      try {
        await waitUntilReady(timeoutMs);
      } catch (error) {
        await kill();
        throw error;
      }
    },
    kill,
    async stop(graceMs = 15_000) {
      stopped = true;
      if (isRunning()) {
        child?.kill('SIGTERM');
        const timer = setTimeout(() => child?.kill('SIGKILL'), graceMs);
        try {
          await exited;
        } finally {
          clearTimeout(timer);
        }
      }
      await exited;
      if (!removed) {
        removed = true;
        await dir.remove();
        // A joining process's deployment is the first one's to remove.
        if (joined === undefined) await dropTestSchemas(options.postgresUrl, postgresSchema);
      }
    },
    token: fetchToken,
    call,
    async jwks() {
      const response = await fetch(`${url}/.well-known/jwks.json`, { signal: AbortSignal.timeout(10_000) });
      if (response.status !== 200) throw new Error(`jwks: ${response.status}`);
      return (await response.json()) as PublicJwks;
    },
    output: () => lines.join('\n'),
  };
}

export interface PulledItem {
  readonly id: string;
  readonly sequence: string;
  readonly kind: string;
  readonly status: string;
  readonly issuedAt: string;
  readonly jws: string;
}

/** One page of an inbox after `cursor` (marks its items fetched, as a real pull does). */
export async function pullInboxPage(
  hub: Pick<HubProcess, 'call'>,
  client: string,
  recipient: string,
  cursor?: string,
): Promise<{ items: PulledItem[]; nextCursor: string }> {
  const query = cursor === undefined ? 'limit=100' : `cursor=${cursor}&limit=100`;
  const response = await hub.call(client, `/v1/inboxes/${recipient}/notifications?${query}`);
  if (response.status !== 200) throw new Error(`inbox ${recipient}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { items: PulledItem[]; nextCursor: string };
}

/** Every item of an inbox after `cursor`, page by page; answers them and the cursor to continue from. */
export async function pullInbox(
  hub: Pick<HubProcess, 'call'>,
  client: string,
  recipient: string,
  cursor?: string,
): Promise<{ items: PulledItem[]; cursor: string | undefined }> {
  const items: PulledItem[] = [];
  let next = cursor;
  for (;;) {
    const page = await pullInboxPage(hub, client, recipient, next);
    items.push(...page.items);
    if (page.items.length === 0) return { items, cursor: next };
    next = page.nextCursor;
  }
}

/** Verifies a notification's JWS against the JWKS and returns its payload. */
export async function openVerified(jws: string, jwks: PublicJwks): Promise<Record<string, unknown>> {
  return (await verify(jws, jwks)).payload;
}
