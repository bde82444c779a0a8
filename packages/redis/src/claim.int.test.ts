import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { claimOnce, closeRedis, createRedis, pingRedis, scanKeys, type RedisClient } from './index.ts';

const { redisUrl } = testEndpoints();
/** Every key this file creates lives under this prefix, so afterAll can remove exactly those. */
const base = isolatedRedisPrefix();
const { logger } = captureLogs('redis-int-test');
const opened: RedisClient[] = [];

function client(keyPrefix: string): RedisClient {
  const redis = createRedis({ url: redisUrl, keyPrefix, connectionName: 'claim-int-test', logger });
  opened.push(redis);
  return redis;
}

let prefixed: RedisClient;
/** The same Redis without a prefix: sees the physical key names. */
let raw: RedisClient;

beforeAll(async () => {
  prefixed = client(`${base}main:`);
  raw = client('');
  await Promise.all([pingRedis(prefixed, 5_000), pingRedis(raw, 5_000)]);
});

afterAll(async () => {
  const leftovers = await scanKeys(raw, `${base}*`);
  if (leftovers.length > 0) await raw.del(...leftovers);
  expect(await scanKeys(raw, `${base}*`)).toEqual([]);
  await Promise.all(opened.map((redis) => closeRedis(redis)));
});

describe('claimOnce', () => {
  it('is true for the first claimant only, and sets the expiry', async () => {
    expect(await claimOnce(prefixed, 'claim:incident-1', 60)).toBe(true);
    expect(await claimOnce(prefixed, 'claim:incident-1', 60)).toBe(false);
    expect(await claimOnce(prefixed, 'claim:incident-2', 60)).toBe(true);
    const ttl = await raw.ttl(`${base}main:claim:incident-1`);
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('gives exactly one true among 20 parallel claims over several connections', async () => {
    const clients = [prefixed, client(`${base}main:`), client(`${base}main:`), client(`${base}main:`)];
    await Promise.all(clients.map((c) => pingRedis(c, 5_000)));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => claimOnce(clients[i % clients.length]!, 'claim:race', 60)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(results.filter((r) => !r)).toHaveLength(19);
  });

  it('can be claimed again once the claim has expired', async () => {
    expect(await claimOnce(prefixed, 'claim:expiring', 60)).toBe(true);
    await raw.pexpire(`${base}main:claim:expiring`, 1);
    const deadline = Date.now() + 1_000;
    while ((await raw.exists(`${base}main:claim:expiring`)) === 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await claimOnce(prefixed, 'claim:expiring', 60)).toBe(true);
  });

  it('refuses a TTL or key outside the limits without touching Redis', async () => {
    await expect(claimOnce(prefixed, 'claim:bad-ttl', 0)).rejects.toThrow(RangeError);
    await expect(claimOnce(prefixed, 'claim:bad-ttl', 1.5)).rejects.toThrow(RangeError);
    await expect(claimOnce(prefixed, '', 60)).rejects.toThrow(RangeError);
    expect(await raw.exists(`${base}main:claim:bad-ttl`)).toBe(0);
  });
});
