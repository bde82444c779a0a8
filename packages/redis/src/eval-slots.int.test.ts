import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { scriptSha, scriptsRun } from './eval-by-hash.ts';
import { closeRedis, createRedis, keySlot, scanKeys } from './index.ts';

// A real Redis (not Cluster: a single Redis runs a cross-slot script without a word; the record tells).
const prefix = isolatedRedisPrefix();
const redis = createRedis({
  url: testEndpoints().redisUrl,
  keyPrefix: prefix,
  connectionName: 'eval-slots-test',
  logger: captureLogs('redis').logger,
});
afterAll(async () => {
  const written = await scanKeys(redis, '*');
  if (written.length > 0) await redis.del(...written);
  await closeRedis(redis);
});

const SET_BOTH = `redis.call('set', KEYS[1], ARGV[1]); redis.call('set', KEYS[2], ARGV[1]); return 2`;
const SET_ONE = `redis.call('set', KEYS[1], ARGV[1]); return 1`;

describe("the Redis Cluster slots of each script's keys", () => {
  it('records two slots for untagged keys (Cluster would refuse the call), one for keys that share a tag', async () => {
    expect(await redis.eval(SET_BOTH, 2, 'gen:{v:1}:a', 'gen:{v:1}:b', 'x')).toBe(2);
    expect(scriptsRun().get(scriptSha(SET_BOTH))).toEqual({ calls: 1, maxKeys: 2, maxSlots: 1 });
    // Two untagged keys in different slots (the prefix included, as Redis sees the keys).
    let two = 0;
    while (keySlot(`${prefix}one`) === keySlot(`${prefix}two-${two}`)) two++;
    expect(await redis.eval(SET_BOTH, 2, 'one', `two-${two}`, 'x')).toBe(2);
    expect(scriptsRun().get(scriptSha(SET_BOTH))).toEqual({ calls: 2, maxKeys: 2, maxSlots: 2 });
    expect(await redis.mget('gen:{v:1}:a', 'gen:{v:1}:b', 'one')).toEqual(['x', 'x', 'x']);
  });

  it('records single-key and keyless scripts too, as they are sent by hash', async () => {
    expect(await redis.eval(SET_ONE, 1, 'alone', 'y')).toBe(1);
    expect(await redis.eval('return 1', 0)).toBe(1);
    expect(scriptsRun().get(scriptSha(SET_ONE))).toEqual({ calls: 1, maxKeys: 1, maxSlots: 1 });
    expect(scriptsRun().get(scriptSha('return 1'))).toEqual({ calls: 1, maxKeys: 0, maxSlots: 0 });
  });
});
