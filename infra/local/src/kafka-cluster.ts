import { rmSync } from 'node:fs';
import path from 'node:path';
import {
  brokerFiles,
  CLUSTER_NODE_HEAP,
  COMMON_BROKER_PROPERTIES,
  keptClusterId,
  startBrokers,
  stopBrokers,
  type BrokerNode,
  type StartResult,
} from './broker-node.ts';
import { freePort, runningPid } from './processes.ts';

/**
 * A three-node KRaft cluster on loopback (each node broker and controller, a static quorum of the three), in
 * `<dataDir>/kafka-cluster/node-<n>`: the stack's Kafka with `./hub infra up --brokers 3`, and the private clusters
 * the tests start and kill nodes of. Internal topics have three replicas with two in sync, like the hub's
 * `production` durability profile, so one node may be killed and the cluster goes on.
 */
export const CLUSTER_SIZE = 3;
const READY_TIMEOUT_MS = 120_000;

export interface KafkaClusterSettings {
  /** Node n (1-based) listens on `brokerPorts[n - 1]` (clients) and `controllerPorts[n - 1]` (the quorum). */
  readonly brokerPorts: readonly number[];
  readonly controllerPorts: readonly number[];
  readonly dataDir: string;
  readonly cacheDir: string;
}

export function clusterNodePaths(settings: Pick<KafkaClusterSettings, 'dataDir'>, node: number) {
  return brokerFiles(path.join(settings.dataDir, 'kafka-cluster', `node-${node}`));
}

const nodeIds = () => [...Array(CLUSTER_SIZE).keys()].map((i) => i + 1);

/** The bootstrap brokers, `127.0.0.1:<port>` each: what KAFKA_BROKERS is set to. */
export function clusterBrokers(settings: Pick<KafkaClusterSettings, 'brokerPorts'>): string[] {
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
    ...COMMON_BROKER_PROPERTIES,
    'num.io.threads=2',
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
    '',
  ].join('\n');
}

/** The three nodes, formatted with one cluster id (kept beside them) and no `--standalone`. */
export function clusterNodes(settings: KafkaClusterSettings): BrokerNode[] {
  const idFile = path.join(settings.dataDir, 'kafka-cluster', 'cluster.id');
  return nodeIds().map((node) => ({
    paths: clusterNodePaths(settings, node),
    ports: [settings.brokerPorts[node - 1] ?? 0, settings.controllerPorts[node - 1] ?? 0],
    listeners: `127.0.0.1:${settings.brokerPorts[node - 1]} 127.0.0.1:${settings.controllerPorts[node - 1]}`,
    properties: () => serverProperties(settings, node),
    formatArgs: () => ['-t', keptClusterId(idFile)],
    heap: CLUSTER_NODE_HEAP,
  }));
}

export interface ClusterStart {
  /** Every node answers (each on its own). */
  readonly isReady: () => Promise<boolean>;
  /** Names the variables that move the ports, checked free first; undefined when the caller checked them. */
  readonly portHint?: string;
  readonly signal?: AbortSignal | undefined;
}

/** Starts each node unless it runs, waits until every node answers; stops what it started if that fails. */
export function startKafkaCluster(settings: KafkaClusterSettings, start: ClusterStart): Promise<StartResult> {
  return startBrokers({
    what: `the three-broker Kafka cluster at ${clusterBrokers(settings).join(',')}`,
    nodes: clusterNodes(settings),
    cacheDir: settings.cacheDir,
    readyTimeoutMs: READY_TIMEOUT_MS,
    ...start,
  });
}

/**
 * A cluster of a test's own, in `dataDir`, on six ports the OS picks. A port picked free can be taken by another
 * program before its node binds it (a shared machine): the node then exits during start-up, and the start is
 * tried again on other ports, at most three times.
 */
export async function startPrivateKafkaCluster(
  dataDir: string,
  cacheDir: string,
  isReadyOn: (settings: KafkaClusterSettings) => () => Promise<boolean>,
): Promise<KafkaClusterSettings> {
  for (let attempt = 1; ; attempt++) {
    const ports = new Set<number>();
    while (ports.size < 6) ports.add(await freePort());
    const [b1, b2, b3, c1, c2, c3] = [...ports] as [number, number, number, number, number, number];
    const settings = { brokerPorts: [b1, b2, b3], controllerPorts: [c1, c2, c3], dataDir, cacheDir };
    try {
      await startKafkaCluster(settings, { isReady: isReadyOn(settings) });
      return settings;
    } catch (error) {
      if (attempt === 3) throw error;
      rmSync(path.join(dataDir, 'kafka-cluster'), { recursive: true, force: true });
    }
  }
}

/** The pid of node `node` (1-based) when it runs: for tests that kill one. */
export function clusterNodePid(settings: Pick<KafkaClusterSettings, 'dataDir'>, node: number): number | undefined {
  return runningPid(clusterNodePaths(settings, node).pidFile);
}

export function stopKafkaCluster(settings: Pick<KafkaClusterSettings, 'dataDir'>) {
  return stopBrokers(nodeIds().map((node) => ({ paths: clusterNodePaths(settings, node) })));
}
