import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALL_TOPICS } from '@hub/contracts';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import { closeRedis, createRedis, pingRedis } from '@hub/redis';
import { kafkaListeners, kafkaPaths, kafkaPid, startKafka, stopKafka, type StartResult } from './kafka-broker.ts';
import { freePort, portIsOpen, runningPid, startedOn } from './processes.ts';
import { redisPaths, redisPid, startRedis, stopRedis } from './redis-server.ts';
import { localAddresses, PORT_VARIABLES, type LocalStackSettings, type PortName } from './settings.ts';

export interface LocalStackEndpoints {
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
}

export interface UpResult extends LocalStackEndpoints {
  /** What this call started; `already-running` parts were left as they were. */
  readonly kafka: StartResult;
  readonly redis: StartResult;
}

export function endpoints(settings: LocalStackSettings): LocalStackEndpoints {
  const addresses = localAddresses(settings);
  return { kafkaBrokers: [addresses.kafkaBroker], redisUrl: addresses.redisUrl };
}

interface Probes {
  readonly kafka: KafkaClient;
  readonly kafkaAnswers: () => Promise<boolean>;
  readonly redisAnswers: () => Promise<boolean>;
}

/** One server of the stack: the ports it listens on, and how to start it, stop it and find it running. */
interface Part {
  readonly name: string;
  readonly ports: readonly PortName[];
  /** Where it listens, as its pid file records it (`startedOn`). */
  readonly address: (settings: LocalStackSettings) => string;
  readonly pidFile: (settings: LocalStackSettings) => string;
  readonly start: (settings: LocalStackSettings, probes: Probes, signal: AbortSignal) => Promise<StartResult>;
  readonly stop: (settings: LocalStackSettings) => Promise<'stopped' | 'not-running'>;
}

/** Kafka, then Redis (`up` relies on the order). */
const PARTS: readonly [Part, Part] = [
  {
    name: 'Kafka',
    ports: ['kafkaPort', 'kafkaControllerPort'],
    address: kafkaListeners,
    pidFile: (settings) => kafkaPaths(settings).pidFile,
    start: (settings, probes, signal) => startKafka(settings, probes.kafkaAnswers, signal),
    stop: stopKafka,
  },
  {
    name: 'Redis',
    ports: ['redisPort'],
    address: (settings) => localAddresses(settings).redisUrl,
    pidFile: (settings) => redisPaths(settings).pidFile,
    start: (settings, probes, signal) => startRedis(settings, probes.redisAnswers, signal),
    stop: stopRedis,
  },
];

const isOurs = (part: Part, settings: LocalStackSettings) => runningPid(part.pidFile(settings)) !== undefined;

/** One Kafka and one Redis client for the whole call, closed afterwards; probes poll through them. */
async function withProbes<R>(
  settings: LocalStackSettings,
  logger: Logger,
  work: (probes: Probes) => Promise<R>,
): Promise<R> {
  const { kafkaBrokers, redisUrl } = endpoints(settings);
  const kafka = createKafkaClient({ brokers: kafkaBrokers, clientId: 'infra-local', logger });
  const redis = createRedis({ url: redisUrl, keyPrefix: '', connectionName: 'infra-local', logger });
  try {
    return await work({
      kafka,
      kafkaAnswers: () => kafka.ping(2_000),
      redisAnswers: () => pingRedis(redis, 1_000).then(() => true),
    });
  } finally {
    await Promise.all([kafka.close(), closeRedis(redis)]);
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
}

/**
 * The ports this stack is about to listen on that something else holds: those of every part not already running
 * as ours on this data dir (ours answers on its own ports, which is no conflict), and the hub's when asked.
 */
export async function takenPorts(settings: LocalStackSettings, options: PortCheckOptions = {}): Promise<TakenPort[]> {
  const names = PARTS.filter((part) => !isOurs(part, settings)).flatMap((part) => part.ports);
  if (options.hub === true) names.push('hubPort');
  const open = await Promise.all(names.map((name) => portIsOpen(settings[name])));
  return names
    .filter((_, index) => open[index])
    .map((name) => ({ port: settings[name], variable: PORT_VARIABLES[name] }));
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
 * Starts Kafka and Redis (each only if ours is not already running), waits until both answer, provisions the
 * topics. Fails before starting anything when one of their ports (and the hub's, with `hub`) is taken by another
 * program, naming the variable to set. When a part fails half-way, the others are told to stop waiting, and every
 * part this call started is stopped before the cause is thrown: a failed `up` leaves nothing of its own running.
 */
export async function up(
  settings: LocalStackSettings,
  logger: Logger,
  options: PortCheckOptions = {},
): Promise<UpResult> {
  const taken = await takenPorts(settings, options);
  if (taken.length > 0) throw new Error(`${describeTakenPorts(taken)}\nNothing was started.`);
  // Ours may run on this data dir with the ports of an earlier start: waiting for it on the new ones would time out.
  const elsewhere = PARTS.flatMap((part) => {
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
      PARTS.map((part) =>
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
      await probes.kafka.provisionTopics(ALL_TOPICS);
    } catch (error) {
      await Promise.all(PARTS.filter((_, index) => results[index] === 'started').map((part) => part.stop(settings)));
      throw error;
    }
    // Every part answered (else the catch above threw); PARTS is kafka, redis.
    const [kafka, redis] = results as [StartResult, StartResult];
    return { ...endpoints(settings), kafka, redis };
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
 * is taken by another program; otherwise a private stack with every port the OS's pick and a fresh data dir under
 * the system's temp dir (the KRaft storage remembers its controller port, and one data dir's pid files describe one
 * stack). The caller removes that data dir when done.
 */
export async function privateIfTaken(settings: LocalStackSettings): Promise<PrivateChoice> {
  const taken = await takenPorts(settings);
  if (taken.length === 0) return { settings, taken };
  const ports = new Set<number>([settings.hubPort]);
  while (ports.size < 4) ports.add(await freePort());
  const [kafkaPort, kafkaControllerPort, redisPort] = [...ports].slice(1) as [number, number, number];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-private-stack-'));
  return { settings: Object.freeze({ ...settings, kafkaPort, kafkaControllerPort, redisPort, dataDir }), taken };
}

/** Creates every topic in contracts (and its .dlq twin) with its declared settings; idempotent. */
export async function provisionTopics(settings: LocalStackSettings, logger: Logger): Promise<void> {
  await withProbes(settings, logger, async (probes) => {
    await probes.kafka.provisionTopics(ALL_TOPICS);
  });
}

export async function down(settings: LocalStackSettings): Promise<{ kafka: string; redis: string }> {
  const [kafka, redis] = await Promise.all([stopKafka(settings), stopRedis(settings)]);
  return { kafka, redis };
}

export interface PartStatus {
  readonly address: string;
  readonly pid: number | undefined;
  readonly answering: boolean;
}

export interface StackStatus {
  readonly kafka: PartStatus;
  readonly redis: PartStatus;
  /** Whether something listens on the hub's port (LOCAL_HUB_PORT); the hub itself is `./hub start`'s, not ours. */
  readonly hub: { readonly address: string; readonly listening: boolean };
  readonly dataDir: string;
}

export async function status(settings: LocalStackSettings, logger: Logger): Promise<StackStatus> {
  const addresses = localAddresses(settings);
  const kafkaRunning = kafkaPid(settings);
  const redisRunning = redisPid(settings);
  const [kafkaOk, redisOk, hubListening] = await withProbes(settings, logger, (probes) =>
    Promise.all([
      kafkaRunning === undefined ? false : probes.kafkaAnswers().catch(() => false),
      redisRunning === undefined ? false : probes.redisAnswers().catch(() => false),
      portIsOpen(settings.hubPort),
    ]),
  );
  return {
    kafka: { address: addresses.kafkaBroker, pid: kafkaRunning, answering: kafkaOk },
    redis: { address: addresses.redisUrl, pid: redisRunning, answering: redisOk },
    hub: { address: addresses.hubUrl, listening: hubListening },
    dataDir: settings.dataDir,
  };
}
