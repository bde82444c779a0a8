import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyVersion, positionKey, readLatestVersion, type LatestVersion, type VersionIndex } from './index.ts';

let redis: RedisClient;

beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'records-latest-version-test',
    logger: captureLogs('records').logger,
  });
});

afterAll(async () => {
  await closeRedis(redis);
});

interface Note extends LatestVersion {
  readonly text: string;
}

const note = (versionId: string, text = versionId): Note => ({ versionId, contentHash: `hash-${text}`, text });

/** One version of record `key`: its id, the one it follows, its offset in the topic. */
function version(key: string, versionId: string, previousVersionId: string | null, offset?: number) {
  return (index?: VersionIndex) =>
    applyVersion(redis, {
      key,
      latest: note(versionId),
      previousVersionId,
      offset: offset === undefined ? undefined : String(offset),
      ...(index === undefined ? {} : { index }),
    });
}

describe('the latest-version compare-and-set', () => {
  it('applies each version once, only on top of its predecessor, in any order and repetition', async () => {
    const key = 'note:chain';
    const v1 = version(key, 'v1', null, 0);
    const v2 = version(key, 'v2', 'v1', 1);
    const v3 = version(key, 'v3', 'v2', 2);

    expect(await v2()).toBe('gap'); // its predecessor was never applied: nothing written
    expect(await readLatestVersion(redis, key)).toBeUndefined();
    expect(await redis.exists(positionKey(key))).toBe(0);
    expect(await v1()).toBe('applied');
    expect(await v1()).toBe('held');
    expect(await v3()).toBe('superseded'); // not on top of v1
    expect(await v2()).toBe('applied');
    expect(await v1()).toBe('superseded');
    expect(await v3()).toBe('applied');
    expect(await v2()).toBe('superseded');
    expect(await v3()).toBe('held');
    expect(await readLatestVersion<Note>(redis, key)).toEqual(note('v3'));
    expect(await redis.hgetall(positionKey(key))).toEqual({ previous: 'v2', offset: '2' });
  });

  it('of two versions that follow the same one, keeps the later in the topic, whichever is applied first', async () => {
    for (const [order, key] of [
      ['earlier first', 'note:fork-a'],
      ['later first', 'note:fork-b'],
    ] as const) {
      const base = version(key, 'base', null, 10);
      const early = version(key, 'early', 'base', 11);
      const late = version(key, 'late', 'base', 12);
      expect(await base()).toBe('applied');
      if (order === 'earlier first') {
        expect(await early()).toBe('applied');
        expect(await late()).toBe('applied'); // a sibling later in the topic takes its place
      } else {
        expect(await late()).toBe('applied');
        expect(await early()).toBe('superseded');
      }
      expect((await readLatestVersion<Note>(redis, key))?.versionId).toBe('late');
    }
    // Without offsets, a sibling never displaces the version held.
    const key = 'note:fork-no-offset';
    expect(await version(key, 'base', null)()).toBe('applied');
    expect(await version(key, 'one', 'base')()).toBe('applied');
    expect(await version(key, 'two', 'base')()).toBe('superseded');
    expect((await readLatestVersion<Note>(redis, key))?.versionId).toBe('one');
  });

  it('keeps the earliest offset of a version found twice in the topic, whichever copy comes first', async () => {
    const key = 'note:twice';
    expect(await version(key, 'v1', null, 7)()).toBe('applied');
    expect(await version(key, 'v1', null, 5)()).toBe('held');
    expect(await version(key, 'v1', null, 9)()).toBe('held');
    expect(await version(key, 'v1', null)()).toBe('held');
    expect(await redis.hgetall(positionKey(key))).toEqual({ previous: '', offset: '5' });
  });

  it('keeps an index set with the version that applies: joins within its limit, leaves, never on a stale version', async () => {
    const set = 'open-notes';
    const member = (key: string, fate: 'add' | 'remove'): VersionIndex => ({ key: set, member: key, limit: 2, fate });
    expect(await version('note:a', 'a1', null, 0)(member('note:a', 'add'))).toBe('applied');
    expect(await version('note:b', 'b1', null, 0)(member('note:b', 'add'))).toBe('applied');
    // Full: the version is still the latest (its chain goes on), but not in the set.
    expect(await version('note:c', 'c1', null, 0)(member('note:c', 'add'))).toBe('unindexed');
    expect((await readLatestVersion<Note>(redis, 'note:c'))?.versionId).toBe('c1');
    expect((await redis.smembers(set)).sort()).toEqual(['note:a', 'note:b']);
    // A member already there (a reservation) is not counted twice.
    expect(await version('note:a', 'a2', 'a1', 1)(member('note:a', 'add'))).toBe('applied');
    expect(await version('note:a', 'a3', 'a2', 2)(member('note:a', 'remove'))).toBe('applied');
    expect((await redis.smembers(set)).sort()).toEqual(['note:b']);
    // A late or repeated older version changes nothing, so the removed member stays out.
    expect(await version('note:a', 'a2', 'a1', 1)(member('note:a', 'add'))).toBe('superseded');
    expect(await version('note:a', 'a1', null, 0)(member('note:a', 'add'))).toBe('superseded');
    expect((await redis.smembers(set)).sort()).toEqual(['note:b']);
    // Once there is room, the next version of the full one joins.
    expect(await version('note:c', 'c2', 'c1', 1)(member('note:c', 'add'))).toBe('applied');
    expect((await redis.smembers(set)).sort()).toEqual(['note:b', 'note:c']);
  });

  it('refuses an offset that is not a whole number before writing anything', async () => {
    await expect(
      applyVersion(redis, { key: 'note:bad', latest: note('x'), previousVersionId: null, offset: '1e3' }),
    ).rejects.toThrow(RangeError);
    expect(await redis.exists('note:bad')).toBe(0);
  });
});
