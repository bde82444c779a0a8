import { setTimeout as sleep } from 'node:timers/promises';
import { HubError } from '@hub/errors';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis, type RedisClient } from './client.ts';
import { LockBusyError, withLock } from './lock.ts';

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

/** Holds the lock on `key` until `release()` is called; `held` settles once the lock is taken. */
function holdLock(key: string, ttlMs = 5_000) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let taken!: () => void;
  const held = new Promise<void>((resolve) => (taken = resolve));
  const done = withLock(client, key, { ttlMs }, async () => {
    taken();
    await released;
    return 'holder';
  });
  return { held, release, done };
}

describe('withLock without a wait', () => {
  it('runs the work holding the lock, refuses a second holder at once with a 409, and frees the lock after', async () => {
    const answer = await withLock(client, 'lock:a', { ttlMs: 5_000 }, async () => {
      const startedAt = Date.now();
      const refused = await withLock(client, 'lock:a', { ttlMs: 5_000 }, () => Promise.resolve(0)).catch(
        (error: unknown) => error,
      );
      expect(Date.now() - startedAt).toBeLessThan(200);
      expect(refused).toBeInstanceOf(LockBusyError);
      expect(refused).toBeInstanceOf(HubError);
      expect(refused).toMatchObject({ code: 'conflict', status: 409 });
      return 42;
    });
    expect(answer).toBe(42);
    await expect(
      withLock(client, 'lock:a', { ttlMs: 5_000 }, () => Promise.reject(new Error('work failed'))),
    ).rejects.toThrow('work failed');
    expect(await withLock(client, 'lock:a', { ttlMs: 5_000 }, () => Promise.resolve('free'))).toBe('free');
  });

  it('refuses a lifetime, wait or retry out of range, without running the work', async () => {
    let ran = 0;
    const work = () => Promise.resolve(++ran);
    for (const options of [{ ttlMs: 0 }, { ttlMs: 1.5 }, { ttlMs: 5_000, waitMs: -1 }, { ttlMs: 5_000, retryMs: 0 }]) {
      await expect(withLock(client, 'lock:r', options, work)).rejects.toThrow(RangeError);
    }
    expect(ran).toBe(0);
  });
});

describe('withLock with a wait', () => {
  it('gets the lock when the holder releases it within waitMs, and runs after the holder', async () => {
    const events: string[] = [];
    const holder = holdLock('lock:w');
    await holder.held;
    const waiter = withLock(client, 'lock:w', { ttlMs: 5_000, waitMs: 2_000, retryMs: 10 }, () => {
      events.push('waiter ran');
      return Promise.resolve('waiter');
    });
    await sleep(100);
    events.push('holder releases');
    holder.release();
    expect(await Promise.all([holder.done, waiter])).toEqual(['holder', 'waiter']);
    expect(events).toEqual(['holder releases', 'waiter ran']);
  });

  it('gives up with LockBusyError (409, the caller’s detail) once waitMs has passed', async () => {
    const holder = holdLock('lock:g');
    await holder.held;
    const startedAt = Date.now();
    const refused = await withLock(
      client,
      'lock:g',
      { ttlMs: 5_000, waitMs: 300, retryMs: 20, busyDetail: 'Another request on this inbox is in progress.' },
      () => Promise.resolve('never'),
    ).catch((error: unknown) => error);
    const waited = Date.now() - startedAt;
    expect(refused).toBeInstanceOf(LockBusyError);
    expect(refused).toMatchObject({ code: 'conflict', detail: 'Another request on this inbox is in progress.' });
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(1_000);
    holder.release();
    expect(await holder.done).toBe('holder');
  });
});

describe('withLock release', () => {
  it("never deletes someone else's lock: a holder whose lock expired leaves its successor's in place", async () => {
    const stale = holdLock('lock:s', 50);
    await stale.held;
    await sleep(120); // the stale holder's lock has expired; it is still working
    const answer = await withLock(client, 'lock:s', { ttlMs: 5_000 }, async () => {
      stale.release();
      expect(await stale.done).toBe('holder'); // its release ran while we hold the lock
      expect(await client.exists('lock:s')).toBe(1);
      await expect(withLock(client, 'lock:s', { ttlMs: 5_000 }, () => Promise.resolve(0))).rejects.toBeInstanceOf(
        LockBusyError,
      );
      return 'successor';
    });
    expect(answer).toBe('successor');
    expect(await client.exists('lock:s')).toBe(0);
  });

  it("keeps the work's outcome when the release fails (the lock then expires by itself)", async () => {
    const other = createRedis({
      url: testEndpoints().redisUrl,
      keyPrefix: isolatedRedisPrefix(),
      connectionName: 'lock-test-closing',
      logger: captureLogs().logger,
    });
    const answer = await withLock(other, 'lock:e', { ttlMs: 200 }, () => {
      other.disconnect(); // the release can no longer reach Redis
      return Promise.resolve('recorded');
    });
    expect(answer).toBe('recorded');
  });
});
