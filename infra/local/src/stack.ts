import { ALL_TOPICS } from '@hub/contracts';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import { closeRedis, createRedis, pingRedis } from '@hub/redis';
import { kafkaAddress, kafkaPid, startKafka, stopKafka } from './kafka-broker.ts';
import { redisPid, redisUrl, startRedis, stopRedis } from './redis-server.ts';
import type { LocalStackSettings } from './settings.ts';

export interface LocalStackEndpoints {
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
}

export interface UpResult extends LocalStackEndpoints {
  /** What this call started; `already-running` parts were left as they were. */
  readonly kafka: 'started' | 'already-running';
  readonly redis: 'started' | 'already-running';
}

export function endpoints(settings: LocalStackSettings): LocalStackEndpoints {
  return { kafkaBrokers: [kafkaAddress(settings)], redisUrl: redisUrl(settings) };
}

interface Probes {
  readonly kafka: KafkaClient;
  readonly kafkaAnswers: () => Promise<boolean>;
  readonly redisAnswers: () => Promise<boolean>;
}

/** One Kafka and one Redis client for the whole call, closed afterwards; probes poll through them. */
async function withProbes<R>(
  settings: LocalStackSettings,
  logger: Logger,
  work: (probes: Probes) => Promise<R>,
): Promise<R> {
  const kafka = createKafkaClient({ brokers: [kafkaAddress(settings)], clientId: 'infra-local', logger });
  const redis = createRedis({ url: redisUrl(settings), keyPrefix: '', connectionName: 'infra-local', logger });
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

/** Starts Kafka and Redis (each only if not already running), waits until both answer, provisions the topics. */
export async function up(settings: LocalStackSettings, logger: Logger): Promise<UpResult> {
  return withProbes(settings, logger, async (probes) => {
    const [kafka, redis] = await Promise.all([
      startKafka(settings, probes.kafkaAnswers),
      startRedis(settings, probes.redisAnswers),
    ]);
    await probes.kafka.provisionTopics(ALL_TOPICS);
    return { ...endpoints(settings), kafka, redis };
  });
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

export interface StackStatus {
  readonly kafka: { readonly address: string; readonly pid: number | undefined; readonly answering: boolean };
  readonly redis: { readonly address: string; readonly pid: number | undefined; readonly answering: boolean };
  readonly dataDir: string;
}

export async function status(settings: LocalStackSettings, logger: Logger): Promise<StackStatus> {
  const kafkaRunning = kafkaPid(settings);
  const redisRunning = redisPid(settings);
  const [kafkaOk, redisOk] = await withProbes(settings, logger, (probes) =>
    Promise.all([
      kafkaRunning === undefined ? false : probes.kafkaAnswers().catch(() => false),
      redisRunning === undefined ? false : probes.redisAnswers().catch(() => false),
    ]),
  );
  return {
    kafka: { address: kafkaAddress(settings), pid: kafkaRunning, answering: kafkaOk },
    redis: { address: redisUrl(settings), pid: redisRunning, answering: redisOk },
    dataDir: settings.dataDir,
  };
}
