import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { localAddresses, REPO_ROOT, type LocalStackSettings } from './settings.ts';
import { hasCommand, logTail, run, runningPid, spawnDetached, stopProcess, waitFor } from './processes.ts';

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

/** The broker and controller listeners, as its pid file records them. */
export function kafkaListeners(settings: LocalStackSettings): string {
  const { kafkaBroker, kafkaController } = localAddresses(settings);
  return `${kafkaBroker} ${kafkaController}`;
}

/** A broker's files under its home directory: the same layout for the stack's broker, the SASL one and each node. */
export function brokerFiles(home: string): KafkaBrokerPaths {
  return {
    home,
    logDirs: path.join(home, 'data'),
    properties: path.join(home, 'server.properties'),
    log4j: path.join(home, 'log4j2.properties'),
    pidFile: path.join(home, 'broker.pid'),
    logFile: path.join(home, 'broker.log'),
  };
}

export function kafkaPaths(settings: LocalStackSettings): KafkaBrokerPaths {
  return brokerFiles(path.join(settings.dataDir, 'kafka'));
}

/** Java 17 or newer is needed by Kafka 4.x; Maven fetches the jars. Fails with what to install. */
export async function checkJavaAndMaven(): Promise<void> {
  const missing: string[] = [];
  if (!hasCommand('java')) missing.push('Java 17 or newer (Debian: apt-get install -y openjdk-17-jre-headless)');
  if (!hasCommand('mvn')) missing.push('Maven (Debian: apt-get install -y maven)');
  if (missing.length > 0) throw new Error(`the local Kafka broker needs:\n  - ${missing.join('\n  - ')}`);
  const version = /version "(\d+)/.exec(await run('java', ['-version']))?.[1];
  if (version === undefined || Number(version) < 17) {
    throw new Error(`the local Kafka broker needs Java 17 or newer; found Java ${version ?? 'of unknown version'}`);
  }
}

/** Copies the broker's runtime jars from Maven Central once per pom version; returns the jar folder. */
export async function ensureBrokerJars(
  settings: Pick<LocalStackSettings, 'cacheDir'>,
  signal?: AbortSignal,
): Promise<string> {
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 12);
  const libs = path.join(settings.cacheDir, pomHash, 'libs');
  const stamp = path.join(libs, '.complete');
  if (existsSync(stamp)) return libs;
  process.stderr.write('infra/local: fetching Kafka broker jars with Maven (first run only)\n');
  await run('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`], { signal });
  if (!readdirSync(libs).some((jar) => jar.startsWith('kafka_2.13-'))) throw new Error(`no kafka jar in ${libs}`);
  writeFileSync(stamp, new Date().toISOString());
  return libs;
}

function serverProperties(settings: LocalStackSettings, paths: KafkaBrokerPaths): string {
  const { kafkaBroker: broker, kafkaController: controller } = localAddresses(settings);
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

export function log4jProperties(paths: Pick<KafkaBrokerPaths, 'logFile'>): string {
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

/**
 * A KRaft cluster id: 16 random bytes in base64url without padding (22 characters) that does not start with '-'.
 * The storage tool reads `-t -...` as an option (`argument --cluster-id/-t: expected one argument`), so one id in 64
 * would fail the format; Kafka's own `Uuid.randomUuid()` draws again for the same reason, and so does this.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The JVM's arguments for a broker tool or the broker itself: heap, its log4j2 file, the jars. */
export function java(libs: string, paths: Pick<KafkaBrokerPaths, 'log4j'>, args: readonly string[]): string[] {
  return [
    '-Xms256m',
    // Every test file provisions its own namespace of topics (about 120 partitions each); 512 MiB ran out of heap
    // near 14,000 partitions on a machine shared by several runs.
    '-Xmx1g',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${paths.log4j}`,
    '-cp',
    `${libs}/*`,
    ...args,
  ];
}

export type StartResult = 'started' | 'already-running';

/**
 * Starts the broker unless ours is already running, and waits until `isReady` answers. Safe to run twice. A broker
 * this call started and that then fails (exits, never answers, or `signal` aborts because another part of the
 * stack failed) is stopped before the error is thrown: nothing is left running. Checking that the ports are free is
 * the stack's business (stack.ts), before anything starts.
 */
export async function startKafka(
  settings: LocalStackSettings,
  isReady: () => Promise<boolean>,
  signal?: AbortSignal,
): Promise<StartResult> {
  const paths = kafkaPaths(settings);
  const what = `Kafka at ${localAddresses(settings).kafkaBroker}`;
  if (runningPid(paths.pidFile) !== undefined) {
    await waitFor(what, isReady, READY_TIMEOUT_MS, { signal });
    return 'already-running';
  }
  await checkJavaAndMaven();
  const libs = await ensureBrokerJars(settings, signal);
  mkdirSync(paths.logDirs, { recursive: true });
  writeFileSync(paths.properties, serverProperties(settings, paths));
  writeFileSync(paths.log4j, log4jProperties(paths));
  if (!existsSync(path.join(paths.logDirs, 'meta.properties'))) {
    const format = ['kafka.tools.StorageTool', 'format', '--standalone', '-t', newClusterId(), '-c', paths.properties];
    await run('java', java(libs, paths, format), { what: 'the Kafka storage tool (format)', signal });
  }
  signal?.throwIfAborted();
  spawnDetached('java', java(libs, paths, ['kafka.Kafka', paths.properties]), paths, kafkaListeners(settings));
  try {
    await waitFor(what, isReady, READY_TIMEOUT_MS, {
      signal,
      giveUp: () =>
        runningPid(paths.pidFile) === undefined
          ? `the broker exited during start-up; the end of ${paths.logFile}:\n${logTail(paths.logFile)}`
          : undefined,
    });
  } catch (error) {
    await stopKafka(settings);
    throw error;
  }
  return 'started';
}

export function stopKafka(settings: LocalStackSettings): Promise<'stopped' | 'not-running'> {
  return stopProcess(kafkaPaths(settings).pidFile, STOP_GRACE_MS);
}

export function kafkaPid(settings: LocalStackSettings): number | undefined {
  return runningPid(kafkaPaths(settings).pidFile);
}
