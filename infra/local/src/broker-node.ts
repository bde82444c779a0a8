import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { logTail, portIsOpen, hasCommand, run, runningPid, spawnDetached, stopProcess, waitFor } from './processes.ts';
import { REPO_ROOT } from './settings.ts';

/**
 * A Kafka 4.x KRaft node (broker and controller in one JVM) assembled from Maven Central jars by
 * infra/local/kafka/pom.xml, and the one start-up sequence every broker of infra/local goes through: the stack's
 * single broker, each node of its three-broker cluster, and the SASL_SSL broker. They differ only in their
 * `server.properties`, their storage format's arguments (one node's own quorum, or a cluster's shared id; SCRAM users)
 * and what they make before it (certificates, passwords).
 */
const POM = path.join(REPO_ROOT, 'infra/local/kafka/pom.xml');
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 30_000;

export type StartResult = 'started' | 'already-running';

export interface KafkaBrokerPaths {
  readonly home: string;
  readonly logDirs: string;
  readonly properties: string;
  readonly log4j: string;
  readonly pidFile: string;
  readonly logFile: string;
}

/** A broker's files under its home directory: the same layout for every broker infra/local runs. */
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

/** The JVM's heap, `-Xms` and `-Xmx`. */
export interface Heap {
  readonly initial: string;
  readonly max: string;
}

/**
 * Every test file provisions its own namespace of topics (about 120 partitions each); 512 MiB ran out of heap near
 * 14,000 partitions on a machine shared by several runs. Three nodes on one machine take less each.
 */
export const SINGLE_NODE_HEAP: Heap = { initial: '256m', max: '1g' };
export const CLUSTER_NODE_HEAP: Heap = { initial: '128m', max: '512m' };

export interface BrokerNode {
  readonly paths: KafkaBrokerPaths;
  /** The ports it listens on: checked free before it starts. */
  readonly ports: readonly number[];
  /** What its pid file records as its addresses (`startedOn`). */
  readonly listeners: string;
  /** Written on every start, after `prepare`. */
  readonly properties: () => string;
  /** The storage tool's arguments besides `format -c <properties>`: `-t <cluster id>`, `--standalone`, `--add-scram`. */
  readonly formatArgs: () => readonly string[];
  /** Before the properties are written: what they or the format read (certificates, passwords). */
  readonly prepare?: (formatted: boolean) => Promise<void>;
  /** Its properties hold passwords: they and its data dir are private (0600, 0700). */
  readonly secret?: boolean;
  readonly heap: Heap;
}

export interface BrokerGroup {
  /** Names the brokers in errors, e.g. `Kafka at 127.0.0.1:9092`. */
  readonly what: string;
  readonly nodes: readonly BrokerNode[];
  readonly cacheDir: string;
  /** Every node answers (each on its own: a client bootstrapped from several is answered by any one). */
  readonly isReady: () => Promise<boolean>;
  /** The variables that move the ports, named when one is taken; undefined: the caller checked them already. */
  readonly portHint?: string;
  readonly readyTimeoutMs?: number;
  /** Stops waiting (another part of the stack failed). */
  readonly signal?: AbortSignal | undefined;
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
export async function ensureBrokerJars(cacheDir: string, signal?: AbortSignal): Promise<string> {
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 12);
  const libs = path.join(cacheDir, pomHash, 'libs');
  const stamp = path.join(libs, '.complete');
  if (existsSync(stamp)) return libs;
  process.stderr.write('infra/local: fetching Kafka broker jars with Maven (first run only)\n');
  await run('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`], { signal });
  if (!readdirSync(libs).some((jar) => jar.startsWith('kafka_2.13-'))) throw new Error(`no kafka jar in ${libs}`);
  writeFileSync(stamp, new Date().toISOString());
  return libs;
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

/** The cluster id kept in `file`, drawn on first use: every node of one cluster formats with the same. */
export function keptClusterId(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  if (!existsSync(file)) writeFileSync(file, newClusterId());
  return readFileSync(file, 'utf8').trim();
}

/** The settings every local broker shares, after its own listeners and before its replication settings. */
export const COMMON_BROKER_PROPERTIES = [
  'group.initial.rebalance.delay.ms=0',
  // Topics are provisioned by code from contracts/src/topics.ts, never by a typo in a producer.
  'auto.create.topics.enable=false',
  'num.network.threads=2',
] as const;

function java(libs: string, node: BrokerNode, args: readonly string[]): string[] {
  return [
    `-Xms${node.heap.initial}`,
    `-Xmx${node.heap.max}`,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${node.paths.log4j}`,
    '-cp',
    `${libs}/*`,
    ...args,
  ];
}

const isRunning = (node: BrokerNode) => runningPid(node.paths.pidFile) !== undefined;

/**
 * Starts every node of the group that is not running (storage formatted on its first start), waits until
 * `isReady`. Safe to run twice: a group already running is only waited for. The nodes this call started are
 * stopped again when one exits, they never answer, or `signal` aborts: a failed start leaves nothing of its own
 * running.
 */
export async function startBrokers(group: BrokerGroup): Promise<StartResult> {
  const { what, signal } = group;
  const timeoutMs = group.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const missing = group.nodes.filter((node) => !isRunning(node));
  if (missing.length === 0) {
    await waitFor(what, group.isReady, timeoutMs, { signal });
    return 'already-running';
  }
  if (group.portHint !== undefined) {
    for (const port of missing.flatMap((node) => node.ports)) {
      if (await portIsOpen(port)) {
        throw new Error(`port ${port} is taken by another program; ${group.portHint}. Nothing was started.`);
      }
    }
  }
  await checkJavaAndMaven();
  const libs = await ensureBrokerJars(group.cacheDir, signal);
  const started: BrokerNode[] = [];
  const stopStarted = () => stopBrokers(started);
  try {
    for (const node of missing) {
      const { paths } = node;
      mkdirSync(paths.logDirs, { recursive: true, ...(node.secret === true && { mode: 0o700 }) });
      const formatted = existsSync(path.join(paths.logDirs, 'meta.properties'));
      await node.prepare?.(formatted);
      writeFileSync(paths.properties, node.properties(), node.secret === true ? { mode: 0o600 } : {});
      writeFileSync(paths.log4j, log4jProperties(paths));
      if (!formatted) {
        const format = ['kafka.tools.StorageTool', 'format', '-c', paths.properties, ...node.formatArgs()];
        await run('java', java(libs, node, format), { what: `the Kafka storage tool (format ${paths.home})`, signal });
      }
      signal?.throwIfAborted();
      spawnDetached('java', java(libs, node, ['kafka.Kafka', paths.properties]), paths, node.listeners);
      started.push(node);
    }
    await waitFor(what, group.isReady, timeoutMs, {
      signal,
      giveUp: () => {
        const dead = group.nodes.find((node) => !isRunning(node));
        if (dead === undefined) return undefined;
        const { logFile } = dead.paths;
        const which = group.nodes.length === 1 ? 'the broker' : `the broker of ${dead.paths.home}`;
        return `${which} exited during start-up; the end of ${logFile}:\n${logTail(logFile)}`;
      },
    });
  } catch (error) {
    await stopStarted();
    throw error;
  }
  return 'started';
}

/** SIGTERM to each node, SIGKILL only after 30 s; `not-running` for each that was not. */
export function stopBrokers(
  nodes: readonly { readonly paths: Pick<KafkaBrokerPaths, 'pidFile'> }[],
): Promise<('stopped' | 'not-running')[]> {
  return Promise.all(nodes.map((node) => stopProcess(node.paths.pidFile, STOP_GRACE_MS)));
}
