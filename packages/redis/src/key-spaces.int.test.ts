import { createHash } from 'node:crypto';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis, scanKeys, type RedisClient } from './client.ts';
import { deleteMatching } from './delete-matching.ts';
import { serverRunId } from './server.ts';
import { switchableRedis } from './switchable.ts';

/* The pieces a view's generations are made of: a client per key space, one stable client over them, the deletion
 * of a replaced key space, and the server's run id. */

const prefix = isolatedRedisPrefix();
const open = (space: string): RedisClient =>
  createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: `${prefix}${space}`,
    connectionName: 'key-spaces-test',
    logger: captureLogs().logger,
  });

let base: RedisClient;
let first: RedisClient;
let second: RedisClient;
beforeAll(() => {
  base = open('');
  first = open('gen:v:one:');
  second = open('gen:v:two:');
});
afterAll(async () => {
  await Promise.all([base, first, second].map((client) => closeRedis(client)));
});

describe('switchableRedis', () => {
  it('sends every command, script and key prefix to the client it was last switched to', async () => {
    const live = switchableRedis(first);
    await live.client.set('k', '1');
    await live.client.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, 's', 'a');
    expect(live.switchTo(second)).toBe(first);
    await live.client.set('k', '2');
    expect(live.client.options.keyPrefix).toBe(`${prefix}gen:v:two:`);
    expect(await scanKeys(live.client, '*')).toEqual(['k']);
    expect(await base.mget('gen:v:one:k', 'gen:v:one:s', 'gen:v:two:k')).toEqual(['1', 'a', '2']);
  });
});

describe('deleteMatching', () => {
  it('deletes the keys a pattern matches under the prefix, batch by batch, keeping those it is told to', async () => {
    const many = Array.from({ length: 1_234 }, (_, index) => [`gen:v:old:${index}`, 'x']).flat();
    await base.mset(...many);
    await base.set('gen:v:keep:1', 'x');
    await base.set('gen:w:old:1', 'x');
    expect(await deleteMatching(base, 'gen:v:*', { except: ['gen:v:keep:', 'gen:v:one:', 'gen:v:two:'] })).toBe(1_234);
    expect((await scanKeys(base, 'gen:*')).sort()).toEqual([
      'gen:v:keep:1',
      'gen:v:one:k',
      'gen:v:one:s',
      'gen:v:two:k',
      'gen:w:old:1',
    ]);
    await expect(deleteMatching(base, '')).rejects.toThrow(RangeError);
  });
});

describe('serverRunId', () => {
  it('is the same for every client of one server process', async () => {
    const id = await serverRunId(base);
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(await serverRunId(second)).toBe(id);
  });
});

describe('eval by hash', () => {
  it('sends a script once, then by its SHA-1; the answer is the same either way', async () => {
    const script = `return {KEYS[1], ARGV[1], '${Math.random().toString(36).slice(2)}'}`;
    const sha = createHash('sha1').update(script).digest('hex');
    expect(await base.script('EXISTS', sha)).toEqual([0]);
    const first = await base.eval(script, 1, 'k', 'a');
    expect(await base.script('EXISTS', sha)).toEqual([1]);
    expect(await base.eval(script, 1, 'k', 'a')).toEqual(first);
    expect(first).toEqual([`${prefix}k`, 'a', expect.any(String)]);
    // A script error is the script's, not a NOSCRIPT retried.
    await expect(base.eval("return redis.call('nosuchcommand')", 0)).rejects.toThrow(/Unknown Redis command/i);
  });
});
