import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { kafkaEnv, loadConfig } from '@hub/config';
import { defineTopic } from '@hub/contracts';
import { createKafkaClient, kafkaSecurityOf, type KafkaClient } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort, portIsOpen } from './processes.ts';
import { readSettings } from './settings.ts';
import { saslPaths, startSaslBroker, stopSaslBroker, type SaslBrokerClientEnv } from './sasl-broker.ts';

// A private SASL_SSL broker on free ports in a temp dir: never the shared stack's broker or ports.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-kafka-sasl-'));
const settings = { ...readSettings(), dataDir };
let brokerSettings: { port: number; controllerPort: number; dataDir: string; cacheDir: string };
let env: SaslBrokerClientEnv;
const clients: KafkaClient[] = [];

/** Every line the client logs, at trace level (infra/local does not depend on @hub/testkit). */
function captureLogs(service: string) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ service, level: 'trace', destination }), text: () => lines.join('') };
}

const greetings = defineTopic({
  name: 'test.sasl-greetings.v1',
  description: 'test',
  schema: z.object({ n: z.number().int() }).strict(),
  partitions: 1,
  retentionMs: 60_000,
  cleanupPolicy: 'delete',
});

/** The hub's own way: the environment through @hub/config, its security through @hub/kafka. */
function hubClient(overrides: Record<string, string>, name: string): { client: KafkaClient; logs: () => string } {
  const config = loadConfig(kafkaEnv, { ...env, ...overrides });
  const { logger, text } = captureLogs(name);
  const client = createKafkaClient({
    brokers: config.KAFKA_BROKERS,
    clientId: name,
    logger,
    topicNamespace: `sasl-${randomUUID().slice(0, 8)}.`,
    security: kafkaSecurityOf(config),
    connectionTimeoutMs: 5_000,
  });
  clients.push(client);
  return { client, logs: text };
}

beforeAll(async () => {
  brokerSettings = { port: await freePort(), controllerPort: await freePort(), dataDir, cacheDir: settings.cacheDir };
  env = await startSaslBroker(brokerSettings, captureLogs('sasl-probe').logger);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await stopSaslBroker(brokerSettings);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('a SASL_SSL broker (SCRAM-SHA-512 over TLS)', () => {
  it('listens only with TLS on its own port, with its password files private', async () => {
    expect(await portIsOpen(brokerSettings.port)).toBe(true);
    const paths = saslPaths(brokerSettings);
    for (const file of [paths.hubPassword, paths.adminPassword, paths.properties]) {
      expect([file, statSync(file).mode & 0o077]).toEqual([file, 0]);
    }
  });

  it('takes the hub client with its CA and SCRAM password file: provisions, publishes and consumes', async () => {
    const { client } = hubClient({}, 'sasl-hub');
    expect((await client.provisionTopics([greetings])).created).toHaveLength(2);
    await client.publish(greetings, [{ key: 'k', value: { n: 1 } }]);
    const seen = await new Promise<number>((resolve, reject) => {
      client
        .consume(greetings, {
          groupId: 'sasl-readers',
          handle: (message) => {
            resolve(message.value.n);
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
    expect(seen).toBe(1);
  });

  it('refuses a wrong password with an authentication error, and no password reaches the logs', async () => {
    const wrongFile = path.join(dataDir, 'wrong.password');
    const wrong = 'not-the-password-0123456789';
    writeFileSync(wrongFile, `${wrong}\n`, { mode: 0o600 });
    const { client, logs } = hubClient({ KAFKA_SASL_PASSWORD_FILE: wrongFile }, 'sasl-wrong');
    const refused = client.provisionTopics([greetings]);
    await expect(refused).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
    const right = readFileSync(saslPaths(brokerSettings).hubPassword, 'utf8').trim();
    const error = await refused.catch((caught: unknown) => String(caught));
    for (const secret of [wrong, right]) {
      expect(logs()).not.toContain(secret);
      expect(error).not.toContain(secret);
    }
  });

  it('refuses a client without TLS: the plaintext handshake never gets an answer it understands', async () => {
    const { logger } = captureLogs('sasl-plaintext');
    const plain = createKafkaClient({
      brokers: [env.KAFKA_BROKERS],
      clientId: 'plain',
      logger,
      connectionTimeoutMs: 1_000,
    });
    clients.push(plain);
    expect(await plain.ping(3_000)).toBe(false);
  });
});
