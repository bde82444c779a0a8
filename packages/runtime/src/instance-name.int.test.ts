import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdInstanceName } from './instance-name.ts';

let redis: RedisClient;
beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'instance-name-test',
    logger: captureLogs().logger,
  });
});
afterAll(async () => {
  await closeRedis(redis);
});

const leaseMs = 600;
const hold = (name: string, instanceId: string) =>
  holdInstanceName(redis, { name, instanceId, logger: captureLogs().logger, leaseMs });

describe('instance name lease', () => {
  it('a second live instance with the same name refuses to start, naming the setting to change', async () => {
    const held = await hold('hub-1', 'a');
    expect(held.held()).toBe(true);
    await expect(hold('hub-1', 'b')).rejects.toThrow('give each instance its own KAFKA_INSTANCE_NAME');
    // Renewed while held: still held well past the lease time.
    expect(await redis.get('hub:instance:hub-1')).toBe('a');
    const other = await hold('hub-2', 'c');
    await Promise.all([held.release(), other.release()]);
  });

  it("a released name is free at once; a crashed holder's name once its lease runs out", async () => {
    const held = await hold('hub-3', 'a');
    await held.release();
    const successor = await hold('hub-3', 'b');
    await successor.release();

    await redis.set('hub:instance:hub-4', 'crashed', 'PX', leaseMs); // a holder that stopped renewing
    const started = Date.now();
    const restarted = await hold('hub-4', 'd');
    expect(Date.now() - started).toBeLessThan(leaseMs + 1_000);
    expect(await redis.get('hub:instance:hub-4')).toBe('d');
    await restarted.release();
  });

  it('an abandoned name (its Kafka did not close) is not handed over: it is free only once its lease runs out', async () => {
    const held = await hold('hub-6', 'a');
    held.abandon();
    expect(held.held()).toBe(false);
    // Not renewed any more, and not deleted: a successor waits for the lease to run out, as for a crashed holder.
    await new Promise((resolve) => setTimeout(resolve, leaseMs / 2));
    expect(await redis.get('hub:instance:hub-6')).toBe('a');
    const started = Date.now();
    const successor = await hold('hub-6', 'b');
    expect(Date.now() - started).toBeGreaterThan(leaseMs / 4);
    expect(await redis.get('hub:instance:hub-6')).toBe('b');
    await successor.release();
  });

  it('starts without the name while Redis does not answer (the hub is then not ready)', async () => {
    const { logger } = captureLogs();
    const unreachable = createRedis({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', connectionName: 'dead', logger });
    const lease = await holdInstanceName(unreachable, { name: 'hub-5', instanceId: 'e', logger, leaseMs });
    expect(lease.held()).toBe(false);
    await lease.release().catch(() => undefined);
    await closeRedis(unreachable);
  });
});
