import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, closeSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, type LocalStackSettings } from './settings.ts';
import { hasCommand, portIsOpen, run, runningPid, stopProcess, waitFor } from './processes.ts';

/**
 * A real single-node Kafka 4.x broker (KRaft, broker and controller in one JVM) assembled from Maven Central
 * jars by infra/local/kafka/pom.xml. Loopback only; data, log and pid under <dataDir>/kafka.
 */
const POM = path.join(REPO_ROOT, 'infra/local/kafka/pom.xml');
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 30_000;

export interface KafkaBrokerPaths {
  readonly home: string;
  readonly logDirs: string;
  readonly properties: string;
  readonly log4j: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export function kafkaPaths(settings: LocalStackSettings): KafkaBrokerPaths {
  const home = path.join(settings.dataDir, 'kafka');
  return {
    home,
    logDirs: path.join(home, 'data'),
    properties: path.join(home, 'server.properties'),
    log4j: path.join(home, 'log4j2.properties'),
    pidFile: path.join(home, 'broker.pid'),
    logFile: path.join(home, 'broker.log'),
  };
}

export function kafkaAddress(settings: LocalStackSettings): string {
  return `127.0.0.1:${settings.kafkaPort}`;
}

/** Java 17 or newer is needed by Kafka 4.x; Maven fetches the jars. Fails with what to install. */
export function checkJavaAndMaven(): void {
  const missing: string[] = [];
  if (!hasCommand('java')) missing.push('Java 17 or newer (Debian: apt-get install -y openjdk-17-jre-headless)');
  if (!hasCommand('mvn')) missing.push('Maven (Debian: apt-get install -y maven)');
  if (missing.length > 0) throw new Error(`the local Kafka broker needs:\n  - ${missing.join('\n  - ')}`);
  const version = /version "(\d+)/.exec(run('java', ['-version']))?.[1];
  if (version === undefined || Number(version) < 17) {
    throw new Error(`the local Kafka broker needs Java 17 or newer; found Java ${version ?? 'of unknown version'}`);
  }
}

/** Copies the broker's runtime jars from Maven Central once per pom version; returns the jar folder. */
export function ensureBrokerJars(settings: LocalStackSettings): string {
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 12);
  const libs = path.join(settings.cacheDir, pomHash, 'libs');
  const stamp = path.join(libs, '.complete');
  if (existsSync(stamp)) return libs;
  process.stderr.write('infra/local: fetching Kafka broker jars with Maven (first run only)\n');
  run('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`]);
  if (!readdirSync(libs).some((jar) => jar.startsWith('kafka_2.13-'))) throw new Error(`no kafka jar in ${libs}`);
  writeFileSync(stamp, new Date().toISOString());
  return libs;
}

function serverProperties(settings: LocalStackSettings, paths: KafkaBrokerPaths): string {
  const broker = `127.0.0.1:${settings.kafkaPort}`;
  const controller = `127.0.0.1:${settings.kafkaControllerPort}`;
  return [
    '# Written by infra/local on every start; edit infra/local/src/kafka-broker.ts instead.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${controller}`,
    `listeners=PLAINTEXT://${broker},CONTROLLER://${controller}`,
    `advertised.listeners=PLAINTEXT://${broker},CONTROLLER://${controller}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${paths.logDirs}`,
    // Single node: every internal topic has one replica, or kafkajs loops on "group coordinator not available".
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=8',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=8',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are provisioned by code from contracts/src/topics.ts, never by a typo in a producer.
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

function log4jProperties(paths: KafkaBrokerPaths): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${paths.logFile}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = info',
    'rootLogger.appenderRef.file.ref = file',
    'logger.kafka.name = org.apache.kafka',
    'logger.kafka.level = warn',
    '',
  ].join('\n');
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (22 characters). */
function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function java(libs: string, paths: KafkaBrokerPaths, args: readonly string[]): string[] {
  return [
    '-Xms256m',
    '-Xmx512m',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${paths.log4j}`,
    '-cp',
    `${libs}/*`,
    ...args,
  ];
}

export type StartResult = 'started' | 'already-running';

/** Starts the broker unless ours is already running; waits until `isReady` answers. Safe to run twice. */
export async function startKafka(settings: LocalStackSettings, isReady: () => Promise<boolean>): Promise<StartResult> {
  const paths = kafkaPaths(settings);
  if (runningPid(paths.pidFile) !== undefined) {
    await waitFor(`Kafka at ${kafkaAddress(settings)}`, isReady, READY_TIMEOUT_MS);
    return 'already-running';
  }
  for (const port of [settings.kafkaPort, settings.kafkaControllerPort]) {
    if (await portIsOpen(port)) {
      throw new Error(`port ${port} is taken by another program; set LOCAL_KAFKA_PORT / LOCAL_KAFKA_CONTROLLER_PORT`);
    }
  }
  checkJavaAndMaven();
  const libs = ensureBrokerJars(settings);
  mkdirSync(paths.logDirs, { recursive: true });
  writeFileSync(paths.properties, serverProperties(settings, paths));
  writeFileSync(paths.log4j, log4jProperties(paths));
  if (!existsSync(path.join(paths.logDirs, 'meta.properties'))) {
    run(
      'java',
      java(libs, paths, [
        'kafka.tools.StorageTool',
        'format',
        '--standalone',
        '-t',
        newClusterId(),
        '-c',
        paths.properties,
      ]),
    );
  }
  const out = openSync(paths.logFile, 'a');
  const child = spawn('java', java(libs, paths, ['kafka.Kafka', paths.properties]), {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error('the Kafka broker process did not start');
  writeFileSync(paths.pidFile, String(child.pid));
  child.unref();
  await waitFor(`Kafka at ${kafkaAddress(settings)}`, isReady, READY_TIMEOUT_MS, () =>
    runningPid(paths.pidFile) === undefined ? `the broker exited during start-up; see ${paths.logFile}` : undefined,
  );
  return 'started';
}

export function stopKafka(settings: LocalStackSettings): Promise<'stopped' | 'not-running'> {
  return stopProcess(kafkaPaths(settings).pidFile, STOP_GRACE_MS);
}

export function kafkaPid(settings: LocalStackSettings): number | undefined {
  return runningPid(kafkaPaths(settings).pidFile);
}
