/**
 * The integration project's global setup: finds a real Kafka broker and a real Redis, in this order:
 *   1. KAFKA_BROKERS and REDIS_URL from the environment (CI with its own services, a developer's running stack);
 *   2. containers, when a container runtime answers (testcontainers);
 *   3. infra/local, started here (Kafka from Maven Central jars, Debian's redis-server) and stopped afterwards
 *      unless it was already running.
 * Then it provisions nothing: each test provisions its own topics in an isolated namespace.
 */
import type { TestProject } from 'vitest/node';
import { down, readSettings, up } from '@hub/infra-local';
import { createLogger } from '@hub/logger';
import { startContainersIfRuntime } from './containers.ts';
import type { TestEndpoints } from '@hub/testkit';

interface Found {
  readonly endpoints: TestEndpoints;
  readonly teardown: () => Promise<void>;
}

async function findEndpoints(): Promise<Found> {
  const brokers = process.env['KAFKA_BROKERS'];
  const redisUrl = process.env['REDIS_URL'];
  if (brokers !== undefined && brokers !== '' && redisUrl !== undefined && redisUrl !== '') {
    const endpoints = { kafkaBrokers: brokers.split(','), redisUrl, source: 'environment' } as const;
    return { endpoints, teardown: async () => {} };
  }
  const containers = await startContainersIfRuntime();
  if (containers !== undefined) return { endpoints: containers.endpoints, teardown: containers.stop };

  const settings = readSettings();
  const logger = createLogger({ service: 'test-setup', level: 'silent' });
  const started = await up(settings, logger);
  const weStartedSomething = started.kafka === 'started' || started.redis === 'started';
  return {
    endpoints: { kafkaBrokers: started.kafkaBrokers, redisUrl: started.redisUrl, source: 'infra-local' },
    teardown: async () => {
      if (weStartedSomething && process.env['HUB_KEEP_LOCAL_STACK'] !== '1') await down(settings);
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await findEndpoints();
  process.stderr.write(
    `integration tests: Kafka ${found.endpoints.kafkaBrokers.join(',')}, Redis ${found.endpoints.redisUrl} (${found.endpoints.source})\n`,
  );
  project.provide('hubEndpoints', found.endpoints);
  return found.teardown;
}
