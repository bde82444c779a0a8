import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestHub, victimOnlyIncident, type TestHub } from '@hub/hub/testing';
import {
  freePort,
  readSettings,
  startSaslBroker,
  stopSaslBroker,
  type SaslBrokerClientEnv,
  type SaslBrokerSettings,
} from '@hub/infra-local';
import { createKafkaClient } from '@hub/kafka';
import { captureLogs } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNotification, postIncident, waitForInbox } from './flow.ts';

// The whole hub over SASL_SSL (issue 13): a broker of this test's own, on free ports in a temp dir, that speaks only
// SASL_SSL (SCRAM-SHA-512 over TLS, certificates made by keytool, infra/local's `./hub infra sasl`); the hub gets
// its Kafka security from the environment exactly as a deployment gives it (KAFKA_SSL, KAFKA_SSL_CA_FILE,
// KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE), through @hub/config and the runtime.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-e2e-sasl-'));
let broker: SaslBrokerSettings;
let env: SaslBrokerClientEnv;
let hub: TestHub | undefined;

beforeAll(async () => {
  broker = { port: await freePort(), controllerPort: await freePort(), dataDir, cacheDir: readSettings().cacheDir };
  env = await startSaslBroker(broker, captureLogs('sasl-probe').logger);
  hub = await startTestHub({ env: { ...env } });
}, 240_000);

afterAll(async () => {
  await hub?.stop();
  await stopSaslBroker(broker);
  rmSync(dataDir, { recursive: true, force: true });
}, 90_000);

describe('the hub over SASL_SSL', () => {
  it('takes its Kafka security from the environment: an incident posted reaches the GP inbox, signed', async () => {
    // The broker has no other listener: everything below went over TLS, authenticated as `hub`.
    const test = hub as TestHub;
    const incident = victimOnlyIncident(`SASL-${randomUUID().slice(0, 8)}`);
    const { receiptId } = await postIncident(test, incident);
    const [item] = await waitForInbox(test, 'gpVictim', 'gp:L85901', 1);
    // Fetched: the pull's own audit event went to Kafka over SASL_SSL too.
    expect(item).toMatchObject({ kind: 'da-gp-notification', status: 'fetched' });
    const payload = await openNotification(test, item ?? ({} as never));
    expect(payload['incident']).toMatchObject({ incidentId: incident.incidentId });
    expect(payload['receiptId']).toBe(receiptId);
    // The password is read from its file and never written anywhere the hub logs to.
    const password = readFileSync(env.KAFKA_SASL_PASSWORD_FILE, 'utf8').trim();
    expect(test.logs.text()).not.toContain(password);
  });

  it('refuses a plaintext client: the broker has no listener it can talk to', async () => {
    const { logger } = captureLogs('plaintext');
    const plain = createKafkaClient({
      brokers: [env.KAFKA_BROKERS],
      clientId: 'plain',
      logger,
      connectionTimeoutMs: 1_000,
    });
    try {
      expect(await plain.ping(3_000)).toBe(false);
      await expect(plain.provisionTopics([])).rejects.toThrow();
    } finally {
      await plain.close();
    }
  });
});
