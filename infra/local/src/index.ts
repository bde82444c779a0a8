export {
  up,
  down,
  status,
  provisionTopics,
  endpoints,
  takenPorts,
  describeTakenPorts,
  privateIfTaken,
  PART_NAMES,
  type PartName,
  type LocalStackEndpoints,
  type UpResult,
  type StackStatus,
  type PartStatus,
  type TakenPort,
  type PrivateChoice,
} from './stack.ts';
export {
  readSettings,
  localAddresses,
  localHubEnv,
  REPO_ROOT,
  PORT_VARIABLES,
  DEFAULT_PORTS,
  type LocalStackSettings,
  type LocalAddresses,
  type LocalHubEnv,
  type PortName,
} from './settings.ts';
export { freePort, portIsOpen } from './processes.ts';
export { ensureRedisInstalled } from './redis-server.ts';
export { ensureChromiumInstalled, CHROMIUM_PATH } from './chromium.ts';
export { ensurePromtool, CACHED_PROMTOOL } from './promtool.ts';
export {
  clusterBrokers,
  clusterNodePid,
  startKafkaCluster,
  startPrivateKafkaCluster,
  stopKafkaCluster,
  type KafkaClusterSettings,
} from './kafka-cluster.ts';
export { startSaslBroker, stopSaslBroker, type SaslBrokerClientEnv, type SaslBrokerSettings } from './sasl-broker.ts';
