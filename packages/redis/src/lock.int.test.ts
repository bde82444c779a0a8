import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis, type RedisClient } from './client.ts';
import { acquireLock, withLock } from './lock.ts';

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

describe('withLock', () => {
  const busy = () => new Error('busy');

  it('runs the work holding the lock, refuses a second holder with busy(), and frees the lock after', async () => {
    const answer = await withLock(client, { key: 'lock:d', ttlMs: 5_000, busy }, async () => {
      await expect(withLock(client, { key: 'lock:d', ttlMs: 5_000, busy }, () => Promise.resolve(0))).rejects.toThrow(
        'busy',
      );
      return 42;
    });
    expect(answer).toBe(42);
    await expect(
      withLock(client, { key: 'lock:d', ttlMs: 5_000, busy }, () => Promise.reject(new Error('work failed'))),
    ).rejects.toThrow('work failed');
    expect(await withLock(client, { key: 'lock:d', ttlMs: 5_000, busy }, () => Promise.resolve('free'))).toBe('free');
  });

  it("keeps the work's outcome when the release fails (the lock then expires by itself)", async () => {
    const other = createRedis({
      url: testEndpoints().redisUrl,
      keyPrefix: isolatedRedisPrefix(),
      connectionName: 'lock-test-closing',
      logger: captureLogs().logger,
    });
    const answer = await withLock(other, { key: 'lock:e', ttlMs: 200, busy }, () => {
      other.disconnect(); // the release can no longer reach Redis
      return Promise.resolve('recorded');
    });
    expect(answer).toBe('recorded');
  });
});
