import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  brokerFiles,
  checkJavaAndMaven,
  ensureBrokerJars,
  java,
  log4jProperties,
  newClusterId,
} from './kafka-broker.ts';
import { logTail, portIsOpen, run, runningPid, spawnDetached, stopProcess, waitFor } from './processes.ts';
import type { LocalStackSettings } from './settings.ts';

/**
 * A three-broker KRaft cluster on loopback (each node broker and controller, a static quorum of the three), beside
 * the stack's single broker and never instead of it: its own ports and its own directory
 * (`<LOCAL_DATA_DIR>/kafka-cluster/node-<n>`). Internal topics have three replicas with two in sync, like the hub's
 * `production` durability profile, so one node may be killed and the cluster goes on.
 */
export const CLUSTER_SIZE = 3;
export const CLUSTER_PORT_VARIABLE = 'LOCAL_KAFKA_CLUSTER_PORT';
/** Node n's broker listens on base + n - 1, its controller on base + 10 + n - 1. */
export const DEFAULT_CLUSTER_BASE_PORT = 9101;
const CONTROLLER_OFFSET = 10;
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 30_000;

export interface KafkaClusterSettings {
  /** Node n (1-based) listens on `brokerPorts[n - 1]` (clients) and `controllerPorts[n - 1]` (the quorum). */
  readonly brokerPorts: readonly number[];
  readonly controllerPorts: readonly number[];
  readonly dataDir: string;
  readonly cacheDir: string;
}

export function readClusterSettings(
  stack: LocalStackSettings,
  env: NodeJS.ProcessEnv = process.env,
): KafkaClusterSettings {
  const raw = env[CLUSTER_PORT_VARIABLE];
  const base = raw === undefined || raw === '' ? DEFAULT_CLUSTER_BASE_PORT : Number(raw);
  if ((raw !== undefined && raw !== '' && !/^\d{1,5}$/.test(raw)) || base < 1024 || base + 20 > 65_535) {
    throw new Error(`${CLUSTER_PORT_VARIABLE} must be a port between 1024 and 65515`);
  }
  const nodes = [...Array(CLUSTER_SIZE).keys()];
  return {
    brokerPorts: nodes.map((i) => base + i),
    controllerPorts: nodes.map((i) => base + CONTROLLER_OFFSET + i),
    dataDir: stack.dataDir,
    cacheDir: stack.cacheDir,
  };
}

export function clusterNodePaths(settings: Pick<KafkaClusterSettings, 'dataDir'>, node: number) {
  return brokerFiles(path.join(settings.dataDir, 'kafka-cluster', `node-${node}`));
}

const nodeIds = () => [...Array(CLUSTER_SIZE).keys()].map((i) => i + 1);

/** The bootstrap brokers, `127.0.0.1:<port>` each: what KAFKA_BROKERS is set to. */
export function clusterBrokers(settings: KafkaClusterSettings): string[] {
  return settings.brokerPorts.map((port) => `127.0.0.1:${port}`);
}

function serverProperties(settings: KafkaClusterSettings, node: number): string {
  const paths = clusterNodePaths(settings, node);
  const broker = `127.0.0.1:${settings.brokerPorts[node - 1]}`;
  const controller = `127.0.0.1:${settings.controllerPorts[node - 1]}`;
  const voters = nodeIds()
    .map((id) => `${id}@127.0.0.1:${settings.controllerPorts[id - 1]}`)
    .join(',');
  return [
    '# Written by infra/local on every start; edit infra/local/src/kafka-cluster.ts instead.',
    'process.roles=broker,controller',
    `node.id=${node}`,
    // A static quorum: every node knows the three voters from the start (no dynamic-quorum bootstrap to run).
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://${broker},CONTROLLER://${controller}`,
    `advertised.listeners=PLAINTEXT://${broker}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${paths.logDirs}`,
    'offsets.topic.replication.factor=3',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=3',
    'transaction.state.log.min.isr=2',
    'transaction.state.log.num.partitions=4',
    'share.coordinator.state.topic.replication.factor=3',
    'share.coordinator.state.topic.min.isr=2',
    'min.insync.replicas=2',
    // A killed node is fenced (and its partitions' leadership moved) after 3 s rather than the default 9 s.
    'broker.session.timeout.ms=3000',
    'broker.heartbeat.interval.ms=500',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    '',
  ].join('\n');
}

function clusterJava(libs: string, paths: ReturnType<typeof clusterNodePaths>, args: readonly string[]): string[] {
  // Three JVMs on one machine: a smaller heap each than the single broker's.
  return java(libs, paths, args).map((arg) => (arg === '-Xmx1g' ? '-Xmx512m' : arg === '-Xms256m' ? '-Xms128m' : arg));
}

/** Starts each node unless it runs (storage formatted once, one cluster id), waits until `isReady`. */
export async function startKafkaCluster(
  settings: KafkaClusterSettings,
  isReady: () => Promise<boolean>,
): Promise<string[]> {
  const brokers = clusterBrokers(settings);
  const what = `the three-broker Kafka cluster at ${brokers.join(',')}`;
  await checkJavaAndMaven();
  const libs = await ensureBrokerJars(settings);
  const idFile = path.join(settings.dataDir, 'kafka-cluster', 'cluster.id');
  mkdirSync(path.dirname(idFile), { recursive: true });
  if (!existsSync(idFile)) writeFileSync(idFile, newClusterId());
  const clusterId = readFileSync(idFile, 'utf8').trim();
  for (const node of nodeIds()) {
    const paths = clusterNodePaths(settings, node);
    if (runningPid(paths.pidFile) !== undefined) continue;
    for (const port of [settings.brokerPorts[node - 1] ?? 0, settings.controllerPorts[node - 1] ?? 0]) {
      if (await portIsOpen(port)) {
        throw new Error(`port ${port} is taken by another program; set ${CLUSTER_PORT_VARIABLE} to a free range`);
      }
    }
    mkdirSync(paths.logDirs, { recursive: true });
    writeFileSync(paths.properties, serverProperties(settings, node));
    writeFileSync(paths.log4j, log4jProperties(paths));
    if (!existsSync(path.join(paths.logDirs, 'meta.properties'))) {
      const format = ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', paths.properties];
      await run('java', clusterJava(libs, paths, format), { what: `the Kafka storage tool (format node ${node})` });
    }
    spawnDetached('java', clusterJava(libs, paths, ['kafka.Kafka', paths.properties]), paths, brokers[node - 1] ?? '');
  }
  try {
    await waitFor(what, isReady, READY_TIMEOUT_MS, {
      giveUp: () => {
        const dead = nodeIds().find((node) => runningPid(clusterNodePaths(settings, node).pidFile) === undefined);
        if (dead === undefined) return undefined;
        const { logFile } = clusterNodePaths(settings, dead);
        return `node ${dead} exited during start-up; the end of ${logFile}:\n${logTail(logFile)}`;
      },
    });
  } catch (error) {
    await stopKafkaCluster(settings);
    throw error;
  }
  return brokers;
}

/** The pid of node `node` (1-based) when it runs: for tests that kill one. */
export function clusterNodePid(settings: Pick<KafkaClusterSettings, 'dataDir'>, node: number): number | undefined {
  return runningPid(clusterNodePaths(settings, node).pidFile);
}

export async function stopKafkaCluster(settings: Pick<KafkaClusterSettings, 'dataDir'>): Promise<string[]> {
  return Promise.all(nodeIds().map((node) => stopProcess(clusterNodePaths(settings, node).pidFile, STOP_GRACE_MS)));
}
