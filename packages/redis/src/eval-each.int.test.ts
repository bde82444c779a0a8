import { randomUUID } from 'node:crypto';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { evalEach } from './eval-each.ts';
import { closeRedis, createRedis, scanKeys } from './index.ts';

const redis = createRedis({
  url: testEndpoints().redisUrl,
  keyPrefix: isolatedRedisPrefix(),
  connectionName: 'eval-each-test',
  logger: captureLogs('redis').logger,
});
afterAll(async () => {
  const written = await scanKeys(redis, '*');
  if (written.length > 0) await redis.del(...written);
  await closeRedis(redis);
});

// A script this run alone has sent (the comment differs per run), so Redis does not have it cached: NOSCRIPT first.
const APPEND = `-- ${randomUUID()}
if ARGV[1] == 'refuse' then return redis.error_reply('refused') end
redis.call('rpush', KEYS[1], ARGV[1])
return redis.call('llen', KEYS[1])`;

describe('evalEach: one script, many calls, one pipeline', () => {
  it('loads a script Redis has not seen once and runs every call in order, answering each reply', async () => {
    const calls = ['a', 'b', 'c'].map((value) => [1, 'list:{x}', value] as const);
    expect(await evalEach(redis, APPEND, calls)).toEqual([1, 2, 3]);
    expect(await evalEach(redis, APPEND, [[1, 'list:{x}', 'd']])).toEqual([4]);
    expect(await redis.lrange('list:{x}', 0, -1)).toEqual(['a', 'b', 'c', 'd']);
    expect(await evalEach(redis, APPEND, [])).toEqual([]);
  });

  it("rejects with a call's error (the others of the pipeline ran: callers' writes are idempotent)", async () => {
    const calls = [[1, 'list:{y}', 'a'] as const, [1, 'list:{y}', 'refuse'] as const];
    await expect(evalEach(redis, APPEND, calls)).rejects.toThrow('refused');
    expect(await redis.lrange('list:{y}', 0, -1)).toEqual(['a']);
  });
});
