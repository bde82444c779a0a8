/**
 * The integration project's global setup: finds a real Kafka broker and a real Redis, in this order:
 *   1. KAFKA_BROKERS and REDIS_URL from the environment (CI with its own services, a developer's running stack);
 *   2. containers, when a container runtime answers (testcontainers);
 *   3. infra/local (Kafka from Maven Central jars, Debian's redis-server): ours when it is already running on its
 *      data dir (LOCAL_DATA_DIR), else started here and stopped afterwards. When another program holds one of its
 *      ports (a shared machine), the tests start a private stack on free ports in a temp data dir instead, and
 *      remove it afterwards. A start that fails stops what it started and fails the run at once with the cause.
 * Then it provisions nothing: each test provisions its own topics in an isolated namespace.
 */
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { describeTakenPorts, down, privateIfTaken, readSettings, up } from '@hub/infra-local';
import { createLogger } from '@hub/logger';
import { startContainersIfRuntime } from './containers.ts';
import type { TestEndpoints } from '@hub/testkit';

interface Found {
  readonly endpoints: TestEndpoints;
  readonly teardown: () => Promise<void>;
}

const say = (line: string) => process.stderr.write(`integration tests: ${line}\n`);

async function startLocalStack(): Promise<Found> {
  const { settings, taken } = await privateIfTaken(readSettings());
  const isPrivate = taken.length > 0;
  if (isPrivate) say(`${describeTakenPorts(taken)}\n  so they start a private stack in ${settings.dataDir}`);
  const removePrivateDir = () => {
    if (isPrivate) rmSync(settings.dataDir, { recursive: true, force: true });
  };
  let started;
  try {
    started = await up(settings, createLogger({ service: 'test-setup', level: 'silent' }));
  } catch (error) {
    removePrivateDir();
    throw error;
  }
  const weStartedSomething = started.kafka === 'started' || started.redis === 'started';
  const keep = !isPrivate && process.env['HUB_KEEP_LOCAL_STACK'] === '1';
  return {
    endpoints: { kafkaBrokers: started.kafkaBrokers, redisUrl: started.redisUrl, source: 'infra-local' },
    teardown: async () => {
      if (weStartedSomething && !keep) await down(settings);
      removePrivateDir();
    },
  };
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
  return startLocalStack();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await findEndpoints();
  say(`Kafka ${found.endpoints.kafkaBrokers.join(',')}, Redis ${found.endpoints.redisUrl} (${found.endpoints.source})`);
  project.provide('hubEndpoints', found.endpoints);
  return found.teardown;
}
