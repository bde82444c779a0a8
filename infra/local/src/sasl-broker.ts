import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { kafkaEnv, loadConfig } from '@hub/config';
import { createKafkaClient, kafkaSecurityOf, type KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import {
  brokerFiles,
  COMMON_BROKER_PROPERTIES,
  newClusterId,
  SINGLE_NODE_HEAP,
  startBrokers,
  stopBrokers,
  type BrokerNode,
} from './broker-node.ts';
import { hasCommand, run } from './processes.ts';
import type { LocalStackSettings } from './settings.ts';

/**
 * A second single-node Kafka broker that only speaks SASL_SSL (SCRAM-SHA-512 over TLS), as a production cluster
 * does, beside the plaintext one of the stack and never instead of it: its own ports and its own directory
 * (`<LOCAL_DATA_DIR>/kafka-sasl`). Its certificates are made by Java's `keytool` (it comes with the JDK the broker
 * needs, so a fresh machine has it): a CA, and the broker's key and certificate for `localhost` and `127.0.0.1`
 * signed by it. Its SCRAM users are created when the storage is formatted (KRaft: `format --add-scram`): `admin`
 * (the broker's own inter-broker connections) and `hub` (clients). Passwords are random, in files (0600).
 */
export const SASL_PORT_VARIABLES = {
  port: 'LOCAL_KAFKA_SASL_PORT',
  controllerPort: 'LOCAL_KAFKA_SASL_CONTROLLER_PORT',
} as const;
export const DEFAULT_SASL_PORTS = { port: 9094, controllerPort: 9095 } as const;

export interface SaslBrokerSettings {
  /** The SASL_SSL listener on 127.0.0.1. */
  readonly port: number;
  /** The KRaft controller listener on 127.0.0.1 (plaintext, loopback only; no client talks to it). */
  readonly controllerPort: number;
  /** Everything of this broker (certificates, passwords, data, log, pid file) goes under `<dataDir>/kafka-sasl`. */
  readonly dataDir: string;
  readonly cacheDir: string;
}

/** What a client needs to reach it: the keys of `@hub/config` kafkaEnv, with the `hub` user's password file. */
export interface SaslBrokerClientEnv {
  readonly KAFKA_BROKERS: string;
  readonly KAFKA_SSL: 'true';
  readonly KAFKA_SSL_CA_FILE: string;
  readonly KAFKA_SASL_MECHANISM: 'scram-sha-512';
  readonly KAFKA_SASL_USERNAME: 'hub';
  readonly KAFKA_SASL_PASSWORD_FILE: string;
}

const CERT_DAYS = '365';

/** The ports from LOCAL_KAFKA_SASL_PORT and LOCAL_KAFKA_SASL_CONTROLLER_PORT (defaults 9094, 9095). */
export function readSaslSettings(stack: LocalStackSettings, env: NodeJS.ProcessEnv = process.env): SaslBrokerSettings {
  const port = (name: keyof typeof SASL_PORT_VARIABLES): number => {
    const raw = env[SASL_PORT_VARIABLES[name]];
    if (raw === undefined || raw === '') return DEFAULT_SASL_PORTS[name];
    const value = Number(raw);
    if (!/^\d{1,5}$/.test(raw) || value < 1024 || value > 65_535) {
      throw new Error(`${SASL_PORT_VARIABLES[name]} must be a port between 1024 and 65535`);
    }
    return value;
  };
  return {
    port: port('port'),
    controllerPort: port('controllerPort'),
    dataDir: stack.dataDir,
    cacheDir: stack.cacheDir,
  };
}

export function saslPaths(settings: Pick<SaslBrokerSettings, 'dataDir'>) {
  const home = path.join(settings.dataDir, 'kafka-sasl');
  const tls = path.join(home, 'tls');
  return {
    ...brokerFiles(home),
    tls,
    /** The CA certificate (PEM): what clients trust (KAFKA_SSL_CA_FILE). */
    caCert: path.join(tls, 'ca.pem'),
    caStore: path.join(tls, 'ca.p12'),
    brokerStore: path.join(tls, 'broker.p12'),
    /** The password of both PKCS12 stores. */
    storePassword: path.join(tls, 'store.password'),
    adminPassword: path.join(home, 'admin.password'),
    /** The `hub` user's SCRAM password (KAFKA_SASL_PASSWORD_FILE). */
    hubPassword: path.join(home, 'hub.password'),
  };
}
type SaslPaths = ReturnType<typeof saslPaths>;

export function saslClientEnv(settings: SaslBrokerSettings): SaslBrokerClientEnv {
  const paths = saslPaths(settings);
  return {
    KAFKA_BROKERS: `127.0.0.1:${settings.port}`,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: paths.caCert,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'hub',
    KAFKA_SASL_PASSWORD_FILE: paths.hubPassword,
  };
}

function writeSecret(file: string): string {
  const secret = randomBytes(24).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

const readSecret = (file: string) => readFileSync(file, 'utf8').trim();

/** A CA and the broker's certificate signed by it, for localhost and 127.0.0.1; made once, kept with the data. */
async function ensureCertificates(paths: SaslPaths): Promise<void> {
  if (existsSync(paths.caCert) && existsSync(paths.brokerStore)) return;
  if (!hasCommand('keytool')) {
    throw new Error("the SASL_SSL broker needs Java's keytool (Debian: apt-get install -y openjdk-17-jre-headless)");
  }
  mkdirSync(paths.tls, { recursive: true, mode: 0o700 });
  writeSecret(paths.storePassword);
  // -storepass:file keeps the password off every command line.
  const pass = ['-storepass:file', paths.storePassword, '-storetype', 'PKCS12'];
  const keytool = (what: string, args: readonly string[], input?: string) =>
    input === undefined ? run('keytool', args, { what: `keytool (${what})` }) : pipeKeytool(what, args, input);
  const san = 'SAN=dns:localhost,ip:127.0.0.1';
  await keytool('CA key', [
    '-genkeypair',
    '-alias',
    'ca',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    CERT_DAYS,
    '-dname',
    'CN=hub-local-sasl-ca',
    '-ext',
    'bc:c',
    '-keystore',
    paths.caStore,
    ...pass,
  ]);
  const caPem = await keytool('CA certificate', [
    '-exportcert',
    '-rfc',
    '-alias',
    'ca',
    '-keystore',
    paths.caStore,
    ...pass,
  ]);
  writeFileSync(paths.caCert, caPem);
  await keytool('broker key', [
    '-genkeypair',
    '-alias',
    'broker',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    CERT_DAYS,
    '-dname',
    'CN=localhost',
    '-ext',
    san,
    '-keystore',
    paths.brokerStore,
    ...pass,
  ]);
  const request = await keytool('broker request', [
    '-certreq',
    '-alias',
    'broker',
    '-keystore',
    paths.brokerStore,
    ...pass,
  ]);
  const signed = await keytool(
    'sign broker',
    ['-gencert', '-rfc', '-alias', 'ca', '-validity', CERT_DAYS, '-ext', san, '-keystore', paths.caStore, ...pass],
    request,
  );
  await keytool('trust CA', [
    '-importcert',
    '-noprompt',
    '-alias',
    'ca',
    '-file',
    paths.caCert,
    '-keystore',
    paths.brokerStore,
    ...pass,
  ]);
  const signedFile = path.join(paths.tls, 'broker.pem');
  writeFileSync(signedFile, signed);
  await keytool('broker certificate', [
    '-importcert',
    '-noprompt',
    '-alias',
    'broker',
    '-file',
    signedFile,
    '-keystore',
    paths.brokerStore,
    ...pass,
  ]);
}

async function pipeKeytool(what: string, args: readonly string[], input: string): Promise<string> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('keytool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else
        reject(new Error(`keytool (${what}) failed (exit ${code}):\n${err.trim().split('\n').slice(-5).join('\n')}`));
    });
    child.stdin.end(input);
  });
}

function serverProperties(settings: SaslBrokerSettings, paths: SaslPaths): string {
  const listener = `127.0.0.1:${settings.port}`;
  const controller = `127.0.0.1:${settings.controllerPort}`;
  const store = readSecret(paths.storePassword);
  const admin = readSecret(paths.adminPassword);
  return [
    '# Written by infra/local on every start; edit infra/local/src/sasl-broker.ts instead. Holds passwords: 0600.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${controller}`,
    `listeners=SASL_SSL://${listener},CONTROLLER://${controller}`,
    `advertised.listeners=SASL_SSL://${listener},CONTROLLER://${controller}`,
    'inter.broker.listener.name=SASL_SSL',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule ' +
      `required username="admin" password="${admin}";`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${paths.brokerStore}`,
    `ssl.keystore.password=${store}`,
    `ssl.key.password=${store}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${paths.caCert}`,
    'ssl.client.auth=none',
    `log.dirs=${paths.logDirs}`,
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    ...COMMON_BROKER_PROPERTIES,
    'num.io.threads=2',
    '',
  ].join('\n');
}

/**
 * Starts the SASL_SSL broker unless it runs already (certificates, passwords and storage made on the first start),
 * waits until `isReady` answers; stops it again if it never does. Answers what a client sets to reach it.
 */
export async function startSaslBroker(settings: SaslBrokerSettings, logger: Logger): Promise<SaslBrokerClientEnv> {
  const env = saslClientEnv(settings);
  const probe = saslProbe(env, logger);
  try {
    await startAndWait(settings, env, probe.answers);
  } finally {
    await probe.close();
  }
  return env;
}

/** The broker as the shared start-up sequence runs it: certificates and users made before its first format. */
function saslNode(settings: SaslBrokerSettings, env: SaslBrokerClientEnv): BrokerNode {
  const paths = saslPaths(settings);
  const scram = (name: string, file: string) => `SCRAM-SHA-512=[name=${name},password=${readSecret(file)}]`;
  return {
    paths,
    ports: [settings.port, settings.controllerPort],
    listeners: env.KAFKA_BROKERS,
    secret: true,
    heap: SINGLE_NODE_HEAP,
    async prepare(formatted) {
      await ensureCertificates(paths);
      if (!formatted) {
        writeSecret(paths.adminPassword);
        writeSecret(paths.hubPassword);
      }
    },
    properties: () => serverProperties(settings, paths),
    formatArgs: () => [
      '--standalone',
      '-t',
      newClusterId(),
      '--add-scram',
      scram('admin', paths.adminPassword),
      '--add-scram',
      scram('hub', paths.hubPassword),
    ],
  };
}

async function startAndWait(
  settings: SaslBrokerSettings,
  env: SaslBrokerClientEnv,
  isReady: () => Promise<boolean>,
): Promise<void> {
  await startBrokers({
    what: `the SASL_SSL Kafka broker at ${env.KAFKA_BROKERS}`,
    nodes: [saslNode(settings, env)],
    cacheDir: settings.cacheDir,
    isReady,
    portHint: `set ${SASL_PORT_VARIABLES.port} and ${SASL_PORT_VARIABLES.controllerPort} to free ports`,
  });
}

export async function stopSaslBroker(
  settings: Pick<SaslBrokerSettings, 'dataDir'>,
): Promise<'stopped' | 'not-running'> {
  const [outcome] = await stopBrokers([{ paths: saslPaths(settings) }]);
  return outcome ?? 'not-running';
}

/**
 * The hub's own client, connected the way `env` says (TLS, SCRAM), asking whether the broker answers. One client for
 * the whole wait, closed by the caller: a client per probe would leave the connects still retrying behind it.
 */
export function saslProbe(env: SaslBrokerClientEnv, logger: Logger) {
  // Made on the first question: the CA and password files it reads exist only once the start has made them.
  let client: KafkaClient | undefined;
  return {
    answers: () => {
      client ??= createKafkaClient({
        brokers: [env.KAFKA_BROKERS],
        clientId: 'infra-local-sasl',
        logger,
        security: kafkaSecurityOf(loadConfig(kafkaEnv, { ...env })),
      });
      return client.ping(2_000);
    },
    close: async () => client?.close(),
  };
}
