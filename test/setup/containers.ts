import type { TestEndpoints } from '@hub/testkit';

/**
 * Kafka, Redis and PostgreSQL in containers, for machines with a container runtime (Docker, Podman). Answers undefined at
 * once when there is no runtime: testcontainers' getContainerRuntimeClient() throws "Could not find a working
 * container runtime strategy", which makes a clean probe.
 */
const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.0.0';
const REDIS_IMAGE = 'redis:7.4-alpine';
/** The same major as docker-compose.yml's. */
const POSTGRES_IMAGE = 'postgres:17-alpine';
const PROBE_TIMEOUT_MS = 10_000;

export interface StartedContainers {
  readonly endpoints: TestEndpoints;
  readonly stop: () => Promise<void>;
}

export async function startContainersIfRuntime(): Promise<StartedContainers | undefined> {
  const { getContainerRuntimeClient, GenericContainer, Wait } = await import('testcontainers');
  const probe = await Promise.race([
    getContainerRuntimeClient().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => {
      setTimeout(() => {
        resolve(false);
      }, PROBE_TIMEOUT_MS).unref();
    }),
  ]);
  if (!probe) return undefined;

  const { KafkaContainer } = await import('@testcontainers/kafka');
  const [kafka, redis, postgres] = await Promise.all([
    new KafkaContainer(KAFKA_IMAGE)
      .withKraft()
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
      .start(),
    new GenericContainer(REDIS_IMAGE)
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start(),
    new GenericContainer(POSTGRES_IMAGE)
      .withEnvironment({ POSTGRES_USER: 'hub', POSTGRES_DB: 'hub', POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      // Over TCP: the image's first, initialising server listens on its socket only, so this waits for the real one.
      .withHealthCheck({ test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U hub -d hub'], interval: 1_000, retries: 60 })
      .withWaitStrategy(Wait.forHealthCheck())
      .start(),
  ]);
  return {
    endpoints: {
      kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
      redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      postgresUrl: `postgres://hub@${postgres.getHost()}:${postgres.getMappedPort(5432)}/hub`,
      source: 'testcontainers',
    },
    stop: async () => {
      await Promise.all([kafka.stop(), redis.stop(), postgres.stop()]);
    },
  };
}
