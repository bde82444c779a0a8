import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis, type RedisClient } from './client.ts';
import { acquireLock } from './lock.ts';

let client: RedisClient;
beforeAll(() => {
  client = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'lock-test',
    logger: captureLogs().logger,
  });
});
afterAll(async () => {
  await closeRedis(client);
});

describe('acquireLock', () => {
  it('lets one holder in at a time, and the key is free again once released', async () => {
    const release = await acquireLock(client, 'lock:a', 5_000);
    expect(release).toBeTypeOf('function');
    expect(await acquireLock(client, 'lock:a', 5_000)).toBeUndefined();
    await release?.();
    const again = await acquireLock(client, 'lock:a', 5_000);
    expect(again).toBeTypeOf('function');
    await again?.();
  });

  it("expires by itself, and a late release never frees a successor's lock", async () => {
    const stale = await acquireLock(client, 'lock:b', 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const successor = await acquireLock(client, 'lock:b', 5_000);
    expect(successor).toBeTypeOf('function');
    await stale?.();
    expect(await acquireLock(client, 'lock:b', 5_000)).toBeUndefined();
    await successor?.();
  });

  it('refuses a lifetime out of range', async () => {
    await expect(acquireLock(client, 'lock:c', 0)).rejects.toThrow(RangeError);
  });
});
