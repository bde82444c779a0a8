import type { TestEndpoints } from '@hub/testkit';

/**
 * Kafka and Redis in containers, for machines with a container runtime (Docker, Podman). Answers undefined at
 * once when there is no runtime: testcontainers' getContainerRuntimeClient() throws "Could not find a working
 * container runtime strategy", which makes a clean probe.
 */
const KAFKA_IMAGE = 'confluentinc/cp-kafka:8.0.0';
const REDIS_IMAGE = 'redis:7.4-alpine';
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
  const [kafka, redis] = await Promise.all([
    new KafkaContainer(KAFKA_IMAGE)
      .withKraft()
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
      .start(),
    new GenericContainer(REDIS_IMAGE)
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start(),
  ]);
  return {
    endpoints: {
      kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
      redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      source: 'testcontainers',
    },
    stop: async () => {
      await Promise.all([kafka.stop(), redis.stop()]);
    },
  };
}
