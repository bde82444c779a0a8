/*
 * Runs the whole hub for tests: real Kafka and Redis (isolated topic namespace and key prefix), real HTTP on a free
 * port, real auth with test clients holding their own key pairs, the synthetic seed directory and the default
 * policy. Import from '@hub/hub/testing' in integration tests only.
 */
import type { ClientRole, DaIncidentSubmission } from '@hub/contracts';
import { captureLogs, type CapturedLogs } from '@hub/testkit';
import { createTestClient, signClientAssertion, tokenRequestBody, type TestClient } from '@hub/auth/testing';
import { prepareTestDeployment, TEST_TOKEN_URL } from '@hub/runtime/testing';
import { createHub, type Hub } from './hub.ts';

export interface TestHub {
  readonly hub: Hub;
  readonly url: string;
  readonly namespace: string;
  readonly redisPrefix: string;
  /** Its PostgreSQL schema (a `joining` instance shares it). */
  readonly postgresSchema: string;
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
  /** The end-to-end tests check what the whole hub recorded (auth events, look-ups in no area): a national officer. */
  igOfficer: { role: 'ig-officer-national', organisation: 'X26' },
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
    /**
     * Kafka and Redis through a cuttable proxy (`@hub/testkit` `startTcpProxy`): every broker connection goes to
     * 127.0.0.1:`kafkaProxyPort` (the broker advertises its own address, so only this reaches all of them) and
     * Redis to 127.0.0.1:`redisProxyPort`.
     */
    proxies?: { readonly kafkaProxyPort?: number; readonly redisProxyPort?: number };
  } = {},
): Promise<TestHub> {
  const { joining } = options;
  const clients =
    joining?.clients ??
    Object.fromEntries(
      Object.entries(options.clients ?? DEFAULT_CLIENTS).map(([name, spec]) => [
        name,
        createTestClient({ role: spec.role, organisation: spec.organisation, clientId: `${name}-client` }),
      ]),
    );
  const { kafkaProxyPort, redisProxyPort } = options.proxies ?? {};
  const env = {
    ...(redisProxyPort === undefined ? {} : { REDIS_URL: `redis://127.0.0.1:${redisProxyPort}` }),
    ...options.env,
  };
  const deployment = await prepareTestDeployment({
    clients: Object.values(clients),
    ...(Object.keys(env).length > 0 && { env }),
    ...(joining && { joining }),
  });
  const { config, namespace, redisPrefix, postgresSchema, files } = deployment;
  const logs = captureLogs('hub');
  const hub = await createHub({
    config,
    logger: logs.logger,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(kafkaProxyPort === undefined
      ? {}
      : { resolveKafkaBroker: () => ({ host: '127.0.0.1', port: kafkaProxyPort }) }),
  });
  const address = await hub.start();

  async function token(client: string): Promise<string> {
    const testClient = clients[client];
    if (testClient === undefined) throw new Error(`no test client named ${client}`);
    const response = await fetch(`${address.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: tokenRequestBody(signClientAssertion(testClient, TEST_TOKEN_URL)),
    });
    if (response.status !== 200) throw new Error(`token refused: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  return {
    hub,
    url: address.url,
    namespace,
    redisPrefix,
    postgresSchema,
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
      await deployment.remove();
    },
  };
}

/** The NHS number of `victimOnlyIncident`'s one subject (seed: registered at L85901, Somerset). */
export const VICTIM_NHS_NUMBER = '9991001018';

/** A high-risk incident with a victim only: enough for the pipeline to write every view's topics. */
export function victimOnlyIncident(incidentId: string): DaIncidentSubmission {
  return {
    incidentId,
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:05:00Z',
    localAuthority: 'E06000066',
    dash: { level: 'high', yesCount: 15 },
    repeatIncidentsLast12Months: 1,
    childrenPresent: false,
    victimConsent: 'not-sought',
    circumstances: 'Test incident.',
    subjects: [
      {
        ref: 'V1',
        role: 'victim',
        nhsNumber: VICTIM_NHS_NUMBER,
        name: { given: 'Test', family: 'Victim' },
        birthDate: '1991-04-12',
        postcode: 'TA1 3RE',
      },
    ],
    officer: { name: 'PC Test', collarNumber: 'AS1234', phone: '01632 960000' },
  };
}
