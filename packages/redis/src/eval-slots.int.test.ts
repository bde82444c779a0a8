import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { CrossSlotScriptError, scriptSha, scriptsRun } from './eval-by-hash.ts';
import { closeRedis, createRedis, scanKeys } from './index.ts';

// A real Redis (not Cluster: the guard is what makes a single Redis refuse what Cluster would refuse).
const redis = createRedis({
  url: testEndpoints().redisUrl,
  keyPrefix: isolatedRedisPrefix(),
  connectionName: 'eval-slots-test',
  logger: captureLogs('redis').logger,
});
afterAll(async () => {
  const written = await scanKeys(redis, '*');
  if (written.length > 0) await redis.del(...written);
  await closeRedis(redis);
});

const SET_BOTH = `redis.call('set', KEYS[1], ARGV[1]); redis.call('set', KEYS[2], ARGV[1]); return 2`;

describe("a script's keys must share one Redis Cluster slot", () => {
  it('refuses keys in two slots before anything is sent, naming the script by its hash only', async () => {
    const refused = redis.eval(SET_BOTH, 2, 'gen:one', 'gen:two', 'secret-value');
    await expect(refused).rejects.toBeInstanceOf(CrossSlotScriptError);
    await expect(refused).rejects.toThrow(`script ${scriptSha(SET_BOTH).slice(0, 12)}: its 2 keys are in 2 slots`);
    expect(await redis.exists('gen:one', 'gen:two')).toBe(0);
  });

  it('runs keys that share a hash tag, after the prefix as Redis sees them, and records each script', async () => {
    expect(await redis.eval(SET_BOTH, 2, 'gen:{v:1}:a', 'gen:{v:1}:b', 'x')).toBe(2);
    expect(await redis.mget('gen:{v:1}:a', 'gen:{v:1}:b')).toEqual(['x', 'x']);
    expect(scriptsRun().get(scriptSha(SET_BOTH))).toEqual({ calls: 2, maxKeys: 2, maxSlots: 2 });
    expect(await redis.eval('return 1', 0)).toBe(1);
    expect(scriptsRun().get(scriptSha('return 1'))).toEqual({ calls: 1, maxKeys: 0, maxSlots: 0 });
  });
});
