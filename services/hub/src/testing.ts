/*
 * Runs the whole hub for tests: real Kafka and Redis (isolated topic namespace and key prefix), real HTTP on a free
 * port, real auth with test clients holding their own key pairs, the synthetic seed directory and the default
 * policy. Import from '@hub/hub/testing' in integration tests only.
 */
import { join } from 'node:path';
import type { ClientRole } from '@hub/contracts';
import {
  captureLogs,
  isolatedRedisPrefix,
  isolatedTopicNamespace,
  testEndpoints,
  type CapturedLogs,
} from '@hub/testkit';
import {
  createTempDir,
  createTestClient,
  signClientAssertion,
  tokenRequestBody,
  writeClientRegistry,
  type TestClient,
} from '@hub/auth/testing';
import { loadHubConfig } from '@hub/runtime';
import { createHub, type Hub } from './hub.ts';

export interface TestHub {
  readonly hub: Hub;
  readonly url: string;
  readonly namespace: string;
  readonly redisPrefix: string;
  readonly logs: CapturedLogs;
  readonly clients: Readonly<Record<string, TestClient>>;
  /** The files a second instance of the same deployment shares (`joining`). */
  readonly files: { readonly clientRegistry: string; readonly signingKeys: string };
  /** An access token for a named client, through the real token endpoint. */
  token(client: string): Promise<string>;
  /** fetch against the hub with a bearer token for `client` (or none). */
  call(client: string | null, path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export type ClientSpec = Readonly<Record<string, { role: ClientRole; organisation: string }>>;

/** One client per role and organisation the seed and the domain tests need. */
export const DEFAULT_CLIENTS: ClientSpec = {
  police: { role: 'police', organisation: 'ASP' },
  otherForce: { role: 'police', organisation: 'WMP' },
  gpVictim: { role: 'gp', organisation: 'L85901' },
  gpOther: { role: 'gp', organisation: 'L85902' },
  gpPerpetrator: { role: 'gp', organisation: 'L85904' },
  gpBristol: { role: 'gp', organisation: 'L81901' },
  marac: { role: 'marac', organisation: 'E06000066' },
  somersetLa: { role: 'local-authority', organisation: 'E06000066' },
  bristolLa: { role: 'local-authority', organisation: 'E06000023' },
  bristolMarac: { role: 'marac', organisation: 'E06000023' },
  igOfficer: { role: 'ig-officer', organisation: 'E06000066' },
  /** An emergency department's trust and a second unscheduled-care provider (fictional ODS codes). */
  edTaunton: { role: 'unscheduled-care', organisation: 'RZ9' },
  ambulance: { role: 'unscheduled-care', organisation: 'RZ8' },
};

export async function startTestHub(
  options: {
    clients?: ClientSpec;
    env?: Record<string, string>;
    /** The hub's clock for its services (not for token checks, which use real time). */
    now?: () => Date;
    /**
     * Another instance of that hub's deployment: the same topics, Redis keys, clients and signing keys. Give it its
     * own `KAFKA_INSTANCE_NAME` in `env`.
     */
    joining?: TestHub;
  } = {},
): Promise<TestHub> {
  const endpoints = testEndpoints();
  const dir = await createTempDir();
  const { joining } = options;
  const clients =
    joining?.clients ??
    Object.fromEntries(
      Object.entries(options.clients ?? DEFAULT_CLIENTS).map(([name, spec]) => [
        name,
        createTestClient({ role: spec.role, organisation: spec.organisation, clientId: `${name}-client` }),
      ]),
    );
  const files = joining?.files ?? {
    clientRegistry: await writeClientRegistry(dir.path, Object.values(clients)),
    signingKeys: join(dir.path, 'hub-signing-keys.json'),
  };
  const namespace = joining?.namespace ?? isolatedTopicNamespace();
  const redisPrefix = joining?.redisPrefix ?? isolatedRedisPrefix();
  const logs = captureLogs('hub');
  // The token URL must be known before the port is; a fixed path on 127.0.0.1 with the port filled in by listen
  // would change `aud`. Tests therefore pin aud to this URL and post to whatever port the hub got.
  const tokenUrl = 'http://hub.test/oauth2/token';
  const config = loadHubConfig({
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    KAFKA_TOPIC_NAMESPACE: namespace,
    REDIS_URL: endpoints.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    HTTP_PORT: '0',
    HUB_CLIENTS_FILE: files.clientRegistry,
    HUB_SIGNING_KEYS_FILE: files.signingKeys,
    HUB_SIGNING_KEYS_GENERATE: 'true',
    HUB_TOKEN_URL: tokenUrl,
    ...options.env,
  });
  const hub = await createHub({
    config,
    logger: logs.logger,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const address = await hub.start();

  async function token(client: string): Promise<string> {
    const testClient = clients[client];
    if (testClient === undefined) throw new Error(`no test client named ${client}`);
    const response = await fetch(`${address.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: tokenRequestBody(signClientAssertion(testClient, tokenUrl)),
    });
    if (response.status !== 200) throw new Error(`token refused: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  return {
    hub,
    url: address.url,
    namespace,
    redisPrefix,
    logs,
    clients,
    files,
    token,
    async call(client, path, init = {}) {
      const headers = new Headers(init.headers);
      if (client !== null) headers.set('authorization', `Bearer ${await token(client)}`);
      if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${address.url}${path}`, { ...init, headers });
    },
    async stop() {
      await hub.stop();
      await dir.remove();
    },
  };
}
