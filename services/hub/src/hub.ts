import { randomUUID } from 'node:crypto';
import { ALL_TOPICS, serviceStarted } from '@hub/contracts';
import { closeGracefully, createHttpServer, listen, type BoundAddress } from '@hub/http';
import { createKafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import { closeRedis, createRedis, pingRedis } from '@hub/redis';
import type { HubConfig } from './config.ts';

export interface Hub {
  /** Provisions topics, starts HTTP, announces itself on Kafka. Resolves with the bound address. */
  start(): Promise<BoundAddress>;
  /** Stops taking requests, lets in-flight work finish, closes Kafka and Redis. Safe to call twice. */
  stop(): Promise<void>;
}

export interface HubDeps {
  readonly config: HubConfig;
  readonly logger: Logger;
  readonly version?: string;
}

const SHUTDOWN_GRACE_MS = 10_000;
const READINESS_TIMEOUT_MS = 1_000;

/**
 * The hub's composition root: one process hosting every service module. Each service added later is created
 * here from the shared Kafka, Redis and HTTP pieces; `main.ts` only reads config and handles signals.
 */
export function createHub({ config, logger, version = '0.1.0' }: HubDeps): Hub {
  const instanceId = randomUUID();
  const kafka = createKafkaClient({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    topicNamespace: config.KAFKA_TOPIC_NAMESPACE,
    logger,
  });
  const redis = createRedis({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: 'hub',
    logger,
  });
  const http = createHttpServer({
    logger,
    serviceName: 'hub',
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    readinessTimeoutMs: READINESS_TIMEOUT_MS,
    readinessChecks: [
      {
        name: 'kafka',
        check: async () => {
          if (!(await kafka.ping(READINESS_TIMEOUT_MS))) throw new Error('kafka did not answer');
        },
      },
      { name: 'redis', check: () => pingRedis(redis, READINESS_TIMEOUT_MS) },
    ],
  });

  let stopping: Promise<void> | undefined;
  return {
    async start() {
      await kafka.provisionTopics(ALL_TOPICS);
      const address = await listen(http, { host: config.HTTP_HOST, port: config.HTTP_PORT });
      await kafka.publish(serviceStarted, [
        { key: instanceId, value: { service: 'hub', instanceId, startedAt: new Date().toISOString() } },
      ]);
      logger.info({ instanceId, version, port: address.port }, 'hub started');
      return address;
    },
    stop() {
      stopping ??= (async () => {
        await closeGracefully(http, SHUTDOWN_GRACE_MS);
        await Promise.all([kafka.close(), closeRedis(redis)]);
        logger.info({ instanceId }, 'hub stopped');
      })();
      return stopping;
    },
  };
}
