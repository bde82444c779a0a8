import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the repo is, and where the local stack keeps its downloads (.cache) and its data (.data). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The one set of variables that places the local stack on this machine. Every address a `./hub` command uses (the
 * broker, Redis, PostgreSQL, the hub's HTTP port, its token URL) is derived from these here and nowhere else, so moving a
 * port moves infra/local, the hub started by `./hub start`, `./hub token`, `./hub verify`, `./hub dlq` and `./hub bench`.
 */
export const PORT_VARIABLES = {
  kafkaPort: 'LOCAL_KAFKA_PORT',
  kafkaControllerPort: 'LOCAL_KAFKA_CONTROLLER_PORT',
  redisPort: 'LOCAL_REDIS_PORT',
  postgresPort: 'LOCAL_POSTGRES_PORT',
  hubPort: 'LOCAL_HUB_PORT',
} as const;
export type PortName = keyof typeof PORT_VARIABLES;

/** Redis on 6380 and PostgreSQL on 5433, so they never collide with a system Redis (6379) or PostgreSQL (5432). */
export const DEFAULT_PORTS = {
  kafkaPort: 9092,
  kafkaControllerPort: 9093,
  redisPort: 6380,
  postgresPort: 5433,
  hubPort: 8080,
} as const satisfies Record<PortName, number>;

/** How many Kafka nodes the stack runs: one (the default), or a three-broker KRaft cluster (`up --brokers 3`). */
export const KAFKA_NODE_COUNTS = [1, 3] as const;
export type KafkaNodeCount = (typeof KAFKA_NODE_COUNTS)[number];
export const KAFKA_NODES_VARIABLE = 'LOCAL_KAFKA_BROKERS';
/** Node n (1-based) of a cluster listens on LOCAL_KAFKA_PORT + 10(n - 1), its controller likewise. */
export const KAFKA_NODE_PORT_STEP = 10;

export type LocalStackSettings = Readonly<Record<PortName, number>> & {
  /** `LOCAL_KAFKA_BROKERS` (1 or 3, default 1), or `up --brokers <n>`. */
  readonly kafkaNodes: KafkaNodeCount;
  /** Data, logs and pid files; git-ignored. `LOCAL_DATA_DIR`, default `.data/local`. */
  readonly dataDir: string;
  /** Maven-assembled broker jars; git-ignored, shared by every data dir. */
  readonly cacheDir: string;
};

const PORT_NAMES = Object.keys(PORT_VARIABLES) as PortName[];

/**
 * Reads LOCAL_KAFKA_PORT, LOCAL_KAFKA_CONTROLLER_PORT, LOCAL_REDIS_PORT, LOCAL_POSTGRES_PORT, LOCAL_HUB_PORT,
 * LOCAL_KAFKA_BROKERS and LOCAL_DATA_DIR, listing every bad value at once.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env): LocalStackSettings {
  const problems: string[] = [];
  const ports = {} as Record<PortName, number>;
  for (const name of PORT_NAMES) {
    const variable = PORT_VARIABLES[name];
    const raw = env[variable];
    if (raw === undefined || raw === '') {
      ports[name] = DEFAULT_PORTS[name];
      continue;
    }
    ports[name] = Number(raw);
    if (!/^\d{1,5}$/.test(raw) || ports[name] < 1024 || ports[name] > 65535) {
      problems.push(`${variable} must be a port between 1024 and 65535`);
    }
  }
  const rawNodes = env[KAFKA_NODES_VARIABLE];
  const kafkaNodes = rawNodes === undefined || rawNodes === '' ? 1 : Number(rawNodes);
  if (!KAFKA_NODE_COUNTS.some((count) => String(count) === (rawNodes || '1'))) {
    problems.push(`${KAFKA_NODES_VARIABLE} must be one of ${KAFKA_NODE_COUNTS.join(', ')}`);
  }
  if (new Set(Object.values(ports)).size !== PORT_NAMES.length) {
    problems.push(`${Object.values(PORT_VARIABLES).join(', ')} must all differ`);
  } else if (problems.length === 0 && kafkaNodes > 1) {
    const nodePorts = kafkaNodePorts({ ...ports, kafkaNodes: kafkaNodes as KafkaNodeCount });
    const all = [...nodePorts.brokers, ...nodePorts.controllers, ports.redisPort, ports.postgresPort, ports.hubPort];
    if (new Set(all).size !== all.length || all.some((port) => port > 65_535)) {
      problems.push(
        `with ${KAFKA_NODES_VARIABLE}=${kafkaNodes}, Kafka node n listens on LOCAL_KAFKA_PORT and ` +
          `LOCAL_KAFKA_CONTROLLER_PORT + ${KAFKA_NODE_PORT_STEP}(n - 1): those ports must be valid and differ from ` +
          'every other port',
      );
    }
  }
  if (problems.length > 0) throw new Error(`infra/local settings:\n  - ${problems.join('\n  - ')}`);
  const dataDir = env['LOCAL_DATA_DIR'];
  return Object.freeze({
    ...ports,
    kafkaNodes: kafkaNodes as KafkaNodeCount,
    dataDir: path.resolve(dataDir === undefined || dataDir === '' ? path.join(REPO_ROOT, '.data/local') : dataDir),
    cacheDir: path.join(REPO_ROOT, '.cache/kafka'),
  });
}

/** Each Kafka node's broker and controller port, node 1 first. */
export function kafkaNodePorts(
  settings: Pick<LocalStackSettings, 'kafkaPort' | 'kafkaControllerPort' | 'kafkaNodes'>,
): { readonly brokers: number[]; readonly controllers: number[] } {
  const offsets = [...Array(settings.kafkaNodes).keys()].map((i) => i * KAFKA_NODE_PORT_STEP);
  return {
    brokers: offsets.map((offset) => settings.kafkaPort + offset),
    controllers: offsets.map((offset) => settings.kafkaControllerPort + offset),
  };
}

/** Where each part of the local stack answers, all on loopback. */
export interface LocalAddresses {
  /** The brokers, `127.0.0.1:<port>` each: LOCAL_KAFKA_PORT, and with three nodes + 10 and + 20. */
  readonly kafkaBrokers: readonly string[];
  /** Their KRaft controllers, in the same order. */
  readonly kafkaControllers: readonly string[];
  readonly redisUrl: string;
  /** The `hub` database as the `hub` role (trust auth, loopback only): what clients get as POSTGRES_URL. */
  readonly postgresUrl: string;
  /** The hub's HTTP API as `./hub start` runs it, `http://127.0.0.1:<LOCAL_HUB_PORT>`. */
  readonly hubUrl: string;
  /** The token endpoint's URL: what the hub is configured with and what a client assertion's `aud` must be. */
  readonly tokenUrl: string;
}

export function localAddresses(settings: LocalStackSettings): LocalAddresses {
  const hubUrl = `http://127.0.0.1:${settings.hubPort}`;
  const nodes = kafkaNodePorts(settings);
  return {
    kafkaBrokers: nodes.brokers.map((port) => `127.0.0.1:${port}`),
    kafkaControllers: nodes.controllers.map((port) => `127.0.0.1:${port}`),
    redisUrl: `redis://127.0.0.1:${settings.redisPort}`,
    postgresUrl: `postgres://hub@127.0.0.1:${settings.postgresPort}/hub`,
    hubUrl,
    tokenUrl: `${hubUrl}/oauth2/token`,
  };
}

/** The hub's own configuration keys (services/hub/README.md) that point it at this stack. */
export type LocalHubEnv = Readonly<
  Record<'KAFKA_BROKERS' | 'KAFKA_DURABILITY' | 'REDIS_URL' | 'POSTGRES_URL' | 'HTTP_PORT' | 'HUB_TOKEN_URL', string>
>;

/** A three-broker stack takes the production durability profile (3 replicas, 2 in sync), as a real cluster does. */
export const durabilityOf = (settings: Pick<LocalStackSettings, 'kafkaNodes'>) =>
  settings.kafkaNodes === 3 ? 'production' : 'local';

/**
 * What `./hub start` writes into the hub's env file (infra/demo/src/setup.ts), and what `./hub dlq` and `./hub bench`
 * get in their environment (src/local-env.ts), unless those keys are set already.
 */
export function localHubEnv(settings: LocalStackSettings): LocalHubEnv {
  const addresses = localAddresses(settings);
  return {
    KAFKA_BROKERS: addresses.kafkaBrokers.join(','),
    KAFKA_DURABILITY: durabilityOf(settings),
    REDIS_URL: addresses.redisUrl,
    POSTGRES_URL: addresses.postgresUrl,
    HTTP_PORT: String(settings.hubPort),
    HUB_TOKEN_URL: addresses.tokenUrl,
  };
}
