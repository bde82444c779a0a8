import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALL_TOPICS } from '@hub/contracts';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import { createPostgres, type Postgres } from '@hub/postgres';
import { closeRedis, createRedis, pingRedis } from '@hub/redis';
import { kafkaNodes, kafkaPid, runningKafkaLayout, startKafka, stopKafka, type StartResult } from './kafka-broker.ts';
import { freePort, portIsOpen, runningPid, startedOn } from './processes.ts';
import {
  postgresAddress,
  postgresAdminUrl,
  postgresPaths,
  postgresPid,
  startPostgres,
  stopPostgres,
} from './postgres-server.ts';
import { redisPaths, redisPid, startRedis, stopRedis } from './redis-server.ts';
import {
  durabilityOf,
  kafkaNodePorts,
  KAFKA_NODES_VARIABLE,
  localAddresses,
  PORT_VARIABLES,
  type LocalStackSettings,
  type PortName,
} from './settings.ts';

export interface LocalStackEndpoints {
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
  readonly postgresUrl: string;
}

/** The servers of the stack, in the order `up` starts them side by side. */
export const PART_NAMES = ['kafka', 'redis', 'postgres'] as const;
export type PartName = (typeof PART_NAMES)[number];

/** What this call started; `already-running` parts were left as they were, `not-asked` ones were not looked at. */
export type UpResult = LocalStackEndpoints & Readonly<Record<PartName, StartResult | 'not-asked'>>;

export function endpoints(settings: LocalStackSettings): LocalStackEndpoints {
  const addresses = localAddresses(settings);
  return {
    kafkaBrokers: [...addresses.kafkaBrokers],
    redisUrl: addresses.redisUrl,
    postgresUrl: addresses.postgresUrl,
  };
}

interface Probes {
  readonly kafka: KafkaClient;
  readonly kafkaAnswers: () => Promise<boolean>;
  readonly redisAnswers: () => Promise<boolean>;
  /** The `hub` database as the `hub` role: what clients use. */
  readonly postgresAnswers: () => Promise<boolean>;
  /** The bootstrap superuser, which creates the `hub` role and database. */
  readonly postgresAdmin: Postgres;
}

/** One server of the stack: the ports it listens on, and how to start it, stop it and find it running. */
interface Part {
  readonly key: PartName;
  readonly name: string;
  /** Each port with the setting that moves it (a cluster's nodes 2 and 3 move with node 1's). */
  readonly ports: (settings: LocalStackSettings) => readonly { port: number; name: PortName }[];
  /** Ours runs on this data dir in another shape than asked for (Kafka: one node where three are asked for). */
  readonly runsOtherwise?: (settings: LocalStackSettings) => string | undefined;
  /** Where it listens, as its pid file records it (`startedOn`). */
  readonly address: (settings: LocalStackSettings) => string;
  readonly pidFile: (settings: LocalStackSettings) => string;
  readonly start: (settings: LocalStackSettings, probes: Probes, signal: AbortSignal) => Promise<StartResult>;
  readonly stop: (settings: LocalStackSettings) => Promise<'stopped' | 'not-running'>;
}

const PARTS: readonly Part[] = [
  {
    key: 'kafka',
    name: 'Kafka',
    ports: (settings) => {
      const nodes = kafkaNodePorts(settings);
      return [
        ...nodes.brokers.map((port) => ({ port, name: 'kafkaPort' as const })),
        ...nodes.controllers.map((port) => ({ port, name: 'kafkaControllerPort' as const })),
      ];
    },
    runsOtherwise: (settings) => {
      const running = runningKafkaLayout(settings);
      return running === undefined || running === settings.kafkaNodes
        ? undefined
        : `Kafka of ${settings.dataDir} is running as ${running} broker${running === 1 ? '' : 's'}, not ` +
            `${settings.kafkaNodes} (${KAFKA_NODES_VARIABLE})`;
    },
    // Node 1's, as its pid file records them.
    address: (settings) => kafkaNodes(settings)[0]?.listeners ?? '',
    pidFile: (settings) => kafkaNodes(settings)[0]?.paths.pidFile ?? '',
    start: (settings, probes, signal) => startKafka(settings, probes.kafkaAnswers, signal),
    stop: stopKafka,
  },
  {
    key: 'redis',
    name: 'Redis',
    ports: (settings) => [{ port: settings.redisPort, name: 'redisPort' }],
    address: (settings) => localAddresses(settings).redisUrl,
    pidFile: (settings) => redisPaths(settings).pidFile,
    start: (settings, probes, signal) => startRedis(settings, probes.redisAnswers, signal),
    stop: stopRedis,
  },
  {
    key: 'postgres',
    name: 'PostgreSQL',
    ports: (settings) => [{ port: settings.postgresPort, name: 'postgresPort' }],
    address: postgresAddress,
    pidFile: (settings) => postgresPaths(settings).pidFile,
    start: (settings, probes, signal) => startPostgres(settings, probes.postgresAdmin, signal),
    stop: stopPostgres,
  },
];

const partsNamed = (names: readonly PartName[]) => PARTS.filter((part) => names.includes(part.key));

const isOurs = (part: Part, settings: LocalStackSettings) =>
  runningPid(part.pidFile(settings)) !== undefined || part.runsOtherwise?.(settings) !== undefined;

/** One Kafka, one Redis and two PostgreSQL clients for the whole call, closed afterwards; probes poll through them. */
async function withProbes<R>(
  settings: LocalStackSettings,
  logger: Logger,
  work: (probes: Probes) => Promise<R>,
): Promise<R> {
  const { kafkaBrokers, redisUrl, postgresUrl } = endpoints(settings);
  const kafkaOptions = { clientId: 'infra-local', logger, durability: durabilityOf(settings) } as const;
  const kafka = createKafkaClient({ brokers: kafkaBrokers, ...kafkaOptions });
  // Each node asked on its own: a client bootstrapped from all of them is answered by any one.
  const nodes =
    kafkaBrokers.length === 1
      ? [kafka]
      : kafkaBrokers.map((broker) => createKafkaClient({ brokers: [broker], ...kafkaOptions }));
  const redis = createRedis({ url: redisUrl, keyPrefix: '', connectionName: 'infra-local', logger });
  // Both connect lazily: nothing reaches PostgreSQL unless a probe asks.
  const postgresOptions = { applicationName: 'infra-local', logger, maxConnections: 1, connectTimeoutMs: 2_000 };
  const postgres = createPostgres({ ...postgresOptions, url: postgresUrl });
  const postgresAdmin = createPostgres({ ...postgresOptions, url: postgresAdminUrl(settings) });
  try {
    return await work({
      kafka,
      kafkaAnswers: async () => (await Promise.all(nodes.map((node) => node.ping(2_000)))).every(Boolean),
      redisAnswers: () => pingRedis(redis, 1_000).then(() => true),
      postgresAnswers: () => postgres.ping(2_000).then(() => true),
      postgresAdmin,
    });
  } finally {
    const closing = [...new Set([kafka, ...nodes])].map((client) => client.close());
    await Promise.all([...closing, closeRedis(redis), postgres.close(), postgresAdmin.close()]);
  }
}

export interface TakenPort {
  readonly port: number;
  /** The variable that moves it. */
  readonly variable: (typeof PORT_VARIABLES)[PortName];
}

export interface PortCheckOptions {
  /** Also the hub's HTTP port (LOCAL_HUB_PORT): `./hub start` runs the hub there once the stack is up. */
  readonly hub?: boolean;
  /** Only these parts (default all): the tests' global setup starts PostgreSQL alone when given Kafka and Redis. */
  readonly parts?: readonly PartName[];
}

/**
 * The ports this stack is about to listen on that something else holds: those of every part not already running
 * as ours on this data dir (ours answers on its own ports, which is no conflict), and the hub's when asked.
 */
export async function takenPorts(settings: LocalStackSettings, options: PortCheckOptions = {}): Promise<TakenPort[]> {
  const ports = partsNamed(options.parts ?? PART_NAMES)
    .filter((part) => !isOurs(part, settings))
    .flatMap((part) => part.ports(settings));
  if (options.hub === true) ports.push({ port: settings.hubPort, name: 'hubPort' });
  const open = await Promise.all(ports.map(({ port }) => portIsOpen(port)));
  return ports.filter((_, index) => open[index]).map(({ port, name }) => ({ port, variable: PORT_VARIABLES[name] }));
}

export function describeTakenPorts(taken: readonly TakenPort[]): string {
  return taken
    .map(({ port, variable }) => {
      const by = variable === PORT_VARIABLES.hubPort ? 'a hub already running or another program' : 'another program';
      return `port ${port} is taken by ${by}; set ${variable} to a free port`;
    })
    .join('\n');
}

const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

/**
 * Starts Kafka, Redis and PostgreSQL (each only if ours is not already running; only `parts` when given), waits
 * until they answer, provisions the topics (when Kafka is among them). Fails before starting anything when one of
 * their ports (and the hub's, with `hub`) is taken by another program, naming the variable to set. When a part
 * fails half-way, the others are told to stop waiting, and every part this call started is stopped before the
 * cause is thrown: a failed `up` leaves nothing of its own running.
 */
export async function up(
  settings: LocalStackSettings,
  logger: Logger,
  options: PortCheckOptions = {},
): Promise<UpResult> {
  const taken = await takenPorts(settings, options);
  if (taken.length > 0) throw new Error(`${describeTakenPorts(taken)}\nNothing was started.`);
  const parts = partsNamed(options.parts ?? PART_NAMES);
  // Ours may run on this data dir with the ports of an earlier start: waiting for it on the new ones would time out.
  const elsewhere = parts.flatMap((part) => {
    const otherwise = part.runsOtherwise?.(settings);
    if (otherwise !== undefined) return [otherwise];
    const was = isOurs(part, settings) ? startedOn(part.pidFile(settings)) : undefined;
    return was === undefined || was === part.address(settings)
      ? []
      : [`${part.name} of ${settings.dataDir} is running on ${was}, not ${part.address(settings)}`];
  });
  if (elsewhere.length > 0) {
    throw new Error(
      `${elsewhere.join('\n')}\nStop it first (./hub stop stops it whatever the ports), or set LOCAL_DATA_DIR to ` +
        'another dir. Nothing was started.',
    );
  }
  return withProbes(settings, logger, async (probes) => {
    const failed = new AbortController();
    const outcomes = await Promise.allSettled(
      parts.map((part) =>
        part.start(settings, probes, failed.signal).catch((error: unknown) => {
          failed.abort();
          throw error;
        }),
      ),
    );
    const results = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
    try {
      const causes = outcomes.flatMap((outcome): unknown[] => (outcome.status === 'rejected' ? [outcome.reason] : []));
      if (causes.length > 0) throw failure(causes);
      if (parts.some((part) => part.key === 'kafka')) await probes.kafka.provisionTopics(ALL_TOPICS);
    } catch (error) {
      await Promise.all(parts.filter((_, index) => results[index] === 'started').map((part) => part.stop(settings)));
      throw error;
    }
    // Every part asked for answered (else the catch above threw).
    const started = Object.fromEntries(
      PART_NAMES.map((name) => [name, results[parts.findIndex((part) => part.key === name)] ?? 'not-asked']),
    ) as Record<PartName, StartResult | 'not-asked'>;
    return { ...endpoints(settings), ...started };
  });
}

/** One error for what failed, leaving out the parts that only stopped because another had failed. */
function failure(causes: readonly unknown[]): Error {
  const real = causes.filter((cause) => !isAbort(cause));
  const shown = real.length > 0 ? real : causes;
  const message = shown.map((cause) => (cause instanceof Error ? cause.message : String(cause))).join('\n');
  return new Error(message, { cause: shown[0] });
}

export interface PrivateChoice {
  readonly settings: LocalStackSettings;
  /** The ports another program held; empty when the settings were kept. */
  readonly taken: readonly TakenPort[];
}

/**
 * For a stack the caller uses alone (the integration tests'): the settings as given when none of the stack's ports
 * (those of `parts`, when given) is taken by another program; otherwise a private stack with every port the OS's pick and a fresh data dir under
 * the system's temp dir (the KRaft storage remembers its controller port, and one data dir's pid files describe one
 * stack). The caller removes that data dir when done.
 */
export async function privateIfTaken(
  settings: LocalStackSettings,
  options: Pick<PortCheckOptions, 'parts'> = {},
): Promise<PrivateChoice> {
  const taken = await takenPorts(settings, options);
  if (taken.length === 0) return { settings, taken };
  const ports = new Set<number>([settings.hubPort]);
  while (ports.size < 5) ports.add(await freePort());
  const [kafkaPort, kafkaControllerPort, redisPort, postgresPort] = [...ports].slice(1) as [
    number,
    number,
    number,
    number,
  ];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-private-stack-'));
  // mkdtemp makes it 0700; PostgreSQL, run as the postgres account when we are root, must reach its dir inside.
  chmodSync(dataDir, 0o755);
  return {
    settings: Object.freeze({ ...settings, kafkaPort, kafkaControllerPort, redisPort, postgresPort, dataDir }),
    taken,
  };
}

/** Creates every topic in contracts (and its .dlq twin) with its declared settings; idempotent. */
export async function provisionTopics(settings: LocalStackSettings, logger: Logger): Promise<void> {
  await withProbes(settings, logger, async (probes) => {
    await probes.kafka.provisionTopics(ALL_TOPICS);
  });
}

export async function down(
  settings: LocalStackSettings,
  parts: readonly PartName[] = PART_NAMES,
): Promise<Record<PartName, 'stopped' | 'not-running' | 'not-asked'>> {
  const outcomes = await Promise.all(
    PARTS.map((part) => (parts.includes(part.key) ? part.stop(settings) : Promise.resolve('not-asked' as const))),
  );
  return Object.fromEntries(PARTS.map((part, index) => [part.key, outcomes[index]])) as Record<
    PartName,
    'stopped' | 'not-running' | 'not-asked'
  >;
}

export interface PartStatus {
  readonly address: string;
  readonly pid: number | undefined;
  readonly answering: boolean;
}

export interface StackStatus {
  readonly kafka: PartStatus;
  readonly redis: PartStatus;
  readonly postgres: PartStatus;
  /** Whether something listens on the hub's port (LOCAL_HUB_PORT); the hub itself is `./hub start`'s, not ours. */
  readonly hub: { readonly address: string; readonly listening: boolean };
  readonly dataDir: string;
}

export async function status(asked: LocalStackSettings, logger: Logger): Promise<StackStatus> {
  // Whichever layout of Kafka runs (one node or three) is the one shown.
  const settings = { ...asked, kafkaNodes: runningKafkaLayout(asked) ?? asked.kafkaNodes };
  const addresses = localAddresses(settings);
  const kafkaRunning = kafkaPid(settings);
  const redisRunning = redisPid(settings);
  const postgresRunning = postgresPid(settings);
  const [kafkaOk, redisOk, postgresOk, hubListening] = await withProbes(settings, logger, (probes) =>
    Promise.all([
      kafkaRunning === undefined ? false : probes.kafkaAnswers().catch(() => false),
      redisRunning === undefined ? false : probes.redisAnswers().catch(() => false),
      postgresRunning === undefined ? false : probes.postgresAnswers().catch(() => false),
      portIsOpen(settings.hubPort),
    ]),
  );
  return {
    kafka: { address: addresses.kafkaBrokers.join(','), pid: kafkaRunning, answering: kafkaOk },
    redis: { address: addresses.redisUrl, pid: redisRunning, answering: redisOk },
    postgres: { address: addresses.postgresUrl, pid: postgresRunning, answering: postgresOk },
    hub: { address: addresses.hubUrl, listening: hubListening },
    dataDir: settings.dataDir,
  };
}
