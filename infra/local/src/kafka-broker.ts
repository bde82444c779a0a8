import path from 'node:path';
import {
  brokerFiles,
  COMMON_BROKER_PROPERTIES,
  newClusterId,
  SINGLE_NODE_HEAP,
  startBrokers,
  stopBrokers,
  type BrokerNode,
  type KafkaBrokerPaths,
  type StartResult,
} from './broker-node.ts';
import { clusterNodePaths, clusterNodes, type KafkaClusterSettings } from './kafka-cluster.ts';
import { runningPid } from './processes.ts';
import { kafkaNodePorts, localAddresses, type LocalStackSettings } from './settings.ts';

/**
 * The stack's Kafka: one node (the default) in `<dataDir>/kafka`, or with `LOCAL_KAFKA_BROKERS=3` (`./hub infra up
 * --brokers 3`) a three-node cluster (kafka-cluster.ts) in `<dataDir>/kafka-cluster`. Loopback only. The two layouts
 * have storage of their own (a single node's quorum is itself), so switching between them keeps both.
 */
export type { StartResult } from './broker-node.ts';

export function kafkaPaths(settings: Pick<LocalStackSettings, 'dataDir'>): KafkaBrokerPaths {
  return brokerFiles(path.join(settings.dataDir, 'kafka'));
}

function stackCluster(settings: LocalStackSettings): KafkaClusterSettings {
  const ports = kafkaNodePorts({ ...settings, kafkaNodes: 3 });
  return { brokerPorts: ports.brokers, controllerPorts: ports.controllers, ...settings };
}

function singleNodeProperties(settings: LocalStackSettings, paths: KafkaBrokerPaths): string {
  const { kafkaBrokers, kafkaControllers } = localAddresses(settings);
  const [broker, controller] = [kafkaBrokers[0], kafkaControllers[0]];
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
    ...COMMON_BROKER_PROPERTIES,
    'num.io.threads=4',
    // Single node: every internal topic has one replica, or kafkajs loops on "group coordinator not available".
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=8',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=8',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    '',
  ].join('\n');
}

/** The nodes of the stack's Kafka as the settings ask for it: one, or three. */
export function kafkaNodes(settings: LocalStackSettings): BrokerNode[] {
  if (settings.kafkaNodes === 3) return clusterNodes(stackCluster(settings));
  const paths = kafkaPaths(settings);
  return [
    {
      paths,
      ports: [settings.kafkaPort, settings.kafkaControllerPort],
      listeners: `127.0.0.1:${settings.kafkaPort} 127.0.0.1:${settings.kafkaControllerPort}`,
      properties: () => singleNodeProperties(settings, paths),
      formatArgs: () => ['--standalone', '-t', newClusterId()],
      heap: SINGLE_NODE_HEAP,
    },
  ];
}

/** Every pid file of either layout: what `down` stops and what `up` finds running, whatever the count asked for. */
function everyPidFile(settings: Pick<LocalStackSettings, 'dataDir'>): { nodes: 1 | 3; pidFile: string }[] {
  return [
    { nodes: 1, pidFile: kafkaPaths(settings).pidFile },
    ...[1, 2, 3].map((node) => ({ nodes: 3 as const, pidFile: clusterNodePaths(settings, node).pidFile })),
  ];
}

/** How many nodes of ours run on this data dir: 1 or 3 (the layout that runs), or undefined when none does. */
export function runningKafkaLayout(settings: Pick<LocalStackSettings, 'dataDir'>): 1 | 3 | undefined {
  return everyPidFile(settings).find(({ pidFile }) => runningPid(pidFile) !== undefined)?.nodes;
}

/**
 * Starts the stack's Kafka unless it runs, and waits until `isReady` answers (every node, each on its own). Safe to
 * run twice. What this call started is stopped again if it fails. Checking that the ports are free is the stack's
 * business (stack.ts), before anything starts.
 */
export function startKafka(
  settings: LocalStackSettings,
  isReady: () => Promise<boolean>,
  signal?: AbortSignal,
): Promise<StartResult> {
  return startBrokers({
    what: `Kafka at ${localAddresses(settings).kafkaBrokers.join(',')}`,
    nodes: kafkaNodes(settings),
    cacheDir: settings.cacheDir,
    isReady,
    readyTimeoutMs: settings.kafkaNodes === 3 ? 120_000 : 90_000,
    signal,
  });
}

/** Stops whichever layout of ours runs on this data dir. */
export async function stopKafka(settings: Pick<LocalStackSettings, 'dataDir'>): Promise<'stopped' | 'not-running'> {
  const outcomes = await stopBrokers(everyPidFile(settings).map(({ pidFile }) => ({ paths: { pidFile } })));
  return outcomes.includes('stopped') ? 'stopped' : 'not-running';
}

/** The first node's pid when ours runs. */
export function kafkaPid(settings: LocalStackSettings): number | undefined {
  return runningPid(kafkaNodes(settings)[0]?.paths.pidFile ?? '');
}
