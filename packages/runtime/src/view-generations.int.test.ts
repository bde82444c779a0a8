import { cpFlagAccessedTopic, VIEW_KEYS, type ProjectorStep } from '@hub/contracts';
import { bindProjector, createKafkaClient, type KafkaClient } from '@hub/kafka';
import { createPostgres, type Postgres } from '@hub/postgres';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createViewGenerations, type ViewGenerations, type ViewGenerationsOptions } from './view-generations.ts';

// Two views built by one process: one whose finished build takes long to tidy up (its groups' deletion hangs) must
// not hold up the other's rebuild and switch.
const SLOW = 'cp-flags';
const QUICK = 'incident-versions';
// A topic of the hub's, empty in the test's own namespace.
const topic = cpFlagAccessedTopic;
const step: ProjectorStep = {
  kind: 'projector',
  service: 'hub',
  description: 'test: a view step on an empty topic',
  groupId: uniqueId('view-generations-slow'),
  input: topic,
  view: SLOW,
};

const logs = captureLogs('view-generations-test');
const prefix = isolatedRedisPrefix();
let redis: RedisClient;
let kafka: KafkaClient;
let postgres: Postgres;
let generations: ViewGenerations | undefined;
const spaces: RedisClient[] = [];
/** While set, deleting a consumer group (a finished build tidied up) waits for it. */
let held: Promise<void> | undefined;
let release: () => void = () => undefined;

beforeAll(async () => {
  const endpoints = testEndpoints();
  redis = createRedis({ url: endpoints.redisUrl, keyPrefix: prefix, connectionName: 'vg-test', logger: logs.logger });
  postgres = createPostgres({ url: endpoints.postgresUrl, applicationName: 'vg-test', logger: logs.logger });
  const client = createKafkaClient({
    brokers: endpoints.kafkaBrokers,
    clientId: 'view-generations-test',
    logger: logs.logger,
    topicNamespace: isolatedTopicNamespace(),
  });
  await client.provisionTopics([topic]);
  kafka = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'deleteGroup' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await held;
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
});

afterAll(async () => {
  release();
  await generations?.stop();
  for (const space of spaces) await closeRedis(space);
  const written = await scanKeys(redis, '*');
  if (written.length > 0) await redis.del(...written);
  await closeRedis(redis);
  await kafka.close();
  await postgres.close();
});

/** An instance of the test's deployment (its Redis prefix, Kafka namespace and PostgreSQL), with no PostgreSQL view. */
function instance(options: Pick<ViewGenerationsOptions, 'instanceId' | 'buildSteps' | 'intervalMs'>): ViewGenerations {
  return createViewGenerations({
    ...options,
    redis,
    postgres,
    kafka,
    logger: logs.logger,
    openSpace: (view, generation) => {
      const space = createRedis({
        url: testEndpoints().redisUrl,
        keyPrefix: `${prefix}${VIEW_KEYS.space(view, generation)}`,
        connectionName: 'vg-test-space',
        logger: logs.logger,
      });
      spaces.push(space);
      return space;
    },
    openPostgresSpace: () => Promise.reject(new Error('no view in PostgreSQL here')),
    switchGraceMs: 400,
  });
}

describe('view generations', () => {
  it("a view's build is driven apart from the others: a slow tidy-up of one does not hold up another's switch", async () => {
    generations = instance({
      instanceId: uniqueId('vg'),
      buildSteps: (view) => (view === SLOW ? [bindProjector(step, { handle: () => Promise.resolve() })] : []),
      intervalMs: 200,
    });
    generations.keep([SLOW, QUICK]);
    held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await generations.start();
    const vg = generations;
    await expect.poll(() => vg.ready(SLOW) && vg.ready(QUICK), { timeout: 30_000 }).toBe(true);
    // The slow view's build is over its grace: its tidy-up waits on the group's deletion from now on.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // The quick view is lost: it is rebuilt and served again (a new generation) while the slow one's tidy-up still
    // waits. Its build has no steps, so it may be rebuilding for less than a poll: its new marker is what is waited for.
    const lost = await redis.get(VIEW_KEYS.generation(QUICK));
    await redis.del(VIEW_KEYS.generation(QUICK));
    await expect.poll(() => redis.get(VIEW_KEYS.generation(QUICK)), { timeout: 15_000 }).toMatch(/./);
    expect(await redis.get(VIEW_KEYS.generation(QUICK))).not.toBe(lost);
    await expect.poll(() => vg.state(QUICK), { timeout: 5_000 }).toBe('ready');
    release();
  });

  it('a route is not answered from a generation another instance has switched away from: it waits, then the new one is served', async () => {
    // A second instance of the deployment, checking rarely: only a route's confirm can notice the switch in time.
    const second = instance({ instanceId: uniqueId('vg-second'), buildSteps: () => [], intervalMs: 60_000 });
    second.keep([QUICK]);
    await second.start();
    try {
      await expect.poll(() => second.ready(QUICK), { timeout: 15_000 }).toBe(true);
      const served = await redis.get(VIEW_KEYS.generation(QUICK));
      expect(await second.confirm(QUICK)).toBe(true);
      // A rebuild elsewhere (after a loss) switched the marker: what this instance serves is the lost generation.
      await redis.set(VIEW_KEYS.generation(QUICK), `${served ?? ''}-elsewhere`);
      expect(await second.confirm(QUICK)).toBe(false);
      await expect.poll(() => second.confirm(QUICK), { timeout: 5_000 }).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
