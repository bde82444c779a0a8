/**
 * The integration project's global setup: finds a real Kafka broker, a real Redis and a real PostgreSQL, in this
 * order:
 *   1. KAFKA_BROKERS and REDIS_URL from the environment (CI with its own services, a developer's running stack),
 *      with POSTGRES_URL when it is set too; without it, PostgreSQL alone comes from infra/local as in 3;
 *   2. containers, when a container runtime answers (testcontainers);
 *   3. infra/local (Kafka from Maven Central jars, Debian's redis-server and postgresql): ours when it is already
 *      running on its data dir (LOCAL_DATA_DIR), else started here and stopped afterwards. When another program
 *      holds one of its ports (a shared machine), the tests start a private stack on free ports in a temp data dir
 *      instead, and remove it afterwards. A start that fails stops what it started and fails the run at once with
 *      the cause.
 * Then it provisions nothing: each test provisions its own topics in an isolated namespace, and makes its own
 * PostgreSQL schema.
 */
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { describeTakenPorts, down, privateIfTaken, readSettings, up, type PartName } from '@hub/infra-local';
import { createLogger } from '@hub/logger';
import { startContainersIfRuntime } from './containers.ts';
import type { TestEndpoints } from '@hub/testkit';

interface Found {
  readonly endpoints: TestEndpoints;
  readonly teardown: () => Promise<void>;
}

const say = (line: string) => process.stderr.write(`integration tests: ${line}\n`);

/** The local stack's `parts` (all of them unless told), started when not running, on a private stack if taken. */
async function startLocalStack(parts?: readonly PartName[]): Promise<Found> {
  const { settings, taken } = await privateIfTaken(readSettings(), parts === undefined ? {} : { parts });
  const isPrivate = taken.length > 0;
  if (isPrivate) say(`${describeTakenPorts(taken)}\n  so they start a private stack in ${settings.dataDir}`);
  const removePrivateDir = () => {
    if (isPrivate) rmSync(settings.dataDir, { recursive: true, force: true });
  };
  let started;
  try {
    started = await up(settings, createLogger({ service: 'test-setup', level: 'silent' }), {
      ...(parts === undefined ? {} : { parts }),
    });
  } catch (error) {
    removePrivateDir();
    throw error;
  }
  const ours = [started.kafka, started.redis, started.postgres].includes('started');
  const keep = !isPrivate && process.env['HUB_KEEP_LOCAL_STACK'] === '1';
  return {
    endpoints: {
      kafkaBrokers: started.kafkaBrokers,
      redisUrl: started.redisUrl,
      postgresUrl: started.postgresUrl,
      source: 'infra-local',
    },
    teardown: async () => {
      if (ours && !keep) await down(settings, parts);
      removePrivateDir();
    },
  };
}

async function findEndpoints(): Promise<Found> {
  const given = (name: string) => {
    const value = process.env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const brokers = given('KAFKA_BROKERS');
  const redisUrl = given('REDIS_URL');
  if (brokers !== undefined && redisUrl !== undefined) {
    const postgresUrl = given('POSTGRES_URL');
    if (postgresUrl !== undefined) {
      const endpoints = { kafkaBrokers: brokers.split(','), redisUrl, postgresUrl, source: 'environment' } as const;
      return { endpoints, teardown: async () => {} };
    }
    // Kafka and Redis given, PostgreSQL not: the local one (running already on a developer's machine).
    const local = await startLocalStack(['postgres']);
    const endpoints = {
      ...local.endpoints,
      kafkaBrokers: brokers.split(','),
      redisUrl,
      source: 'environment',
    } as const;
    return { endpoints, teardown: local.teardown };
  }
  const containers = await startContainersIfRuntime();
  if (containers !== undefined) return { endpoints: containers.endpoints, teardown: containers.stop };
  return startLocalStack();
}

/** A URL as it may be printed: a password given in POSTGRES_URL stays out of the run's output. */
function withoutPassword(url: string): string {
  if (!URL.canParse(url)) return '(not a URL)';
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = 'hidden';
  return parsed.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await findEndpoints();
  const { kafkaBrokers, redisUrl, postgresUrl, source } = found.endpoints;
  say(`Kafka ${kafkaBrokers.join(',')}, Redis ${redisUrl}, PostgreSQL ${withoutPassword(postgresUrl)} (${source})`);
  project.provide('hubEndpoints', found.endpoints);
  return found.teardown;
}
