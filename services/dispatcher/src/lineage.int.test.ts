import type { IssuedSlot } from '@hub/policy';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineage, MAX_LINEAGE_ENTRIES, type Lineage, type LineageSlot } from './lineage.ts';

let redis: RedisClient;
let lineage: Lineage;

beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'dispatcher-lineage-test',
    logger: captureLogs('dispatcher').logger,
  });
  lineage = createLineage(redis);
});
afterAll(async () => {
  const written = await scanKeys(redis, '*');
  if (written.length > 0) await redis.del(...written);
  await closeRedis(redis);
});

let incidents = 0;
/** A slot of an incident no other test uses. */
function freshSlot(): LineageSlot {
  incidents += 1;
  return {
    force: 'ASP',
    incidentId: `LINEAGE-${incidents}`,
    kind: 'da-gp-notification',
    recipient: 'gp:L85901',
    subjectRef: 'V1',
  };
}
const filled = (notificationId: string): IssuedSlot => ({
  kind: 'da-gp-notification',
  recipient: 'gp:L85901',
  subjectRef: 'V1',
  notificationId,
});

/** The slot's sorted set as Redis holds it, to show what a write changed. */
async function dump(): Promise<[string, string[]][]> {
  const keys = (await scanKeys(redis, 'da:*')).sort();
  return Promise.all(
    keys.map(async (key): Promise<[string, string[]]> => [key, await redis.zrange(key, 0, -1, 'WITHSCORES')]),
  );
}

describe('the amendment lineage, keyed by input offset', () => {
  it('answers the latest entry strictly below the input, whatever later inputs wrote', async () => {
    const slot = freshSlot();
    await lineage.record(slot, '7', 'ntf_v1');
    await lineage.record(slot, '9', 'ntf_v2');
    await lineage.record(slot, '12', 'ntf_v3');
    expect(await lineage.amends(slot, '7', 'ntf_v1')).toBeNull();
    expect(await lineage.amends(slot, '8', 'ntf_other')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '9', 'ntf_v2')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '12', 'ntf_v3')).toBe('ntf_v2');
    expect(await lineage.amends(slot, '13', 'ntf_v4')).toBe('ntf_v3');
  });

  it('an earlier copy of the same notification (a receipt in the topic twice) is passed over', async () => {
    const slot = freshSlot();
    await lineage.record(slot, '3', 'ntf_v1');
    await lineage.record(slot, '5', 'ntf_v2');
    await lineage.record(slot, '6', 'ntf_v2');
    expect(await lineage.amends(slot, '6', 'ntf_v2')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '8', 'ntf_v2')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '8', 'ntf_v3')).toBe('ntf_v2');
  });

  it('writing an input again changes nothing; a different write for the same input replaces its entry', async () => {
    const slot = freshSlot();
    await lineage.record(slot, '4', 'ntf_v1');
    await lineage.recordIssued(slot.force, slot.incidentId, '4', 'rcpt_v1', [filled('ntf_v1')]);
    const once = await dump();
    await lineage.record(slot, '4', 'ntf_v1');
    await lineage.recordIssued(slot.force, slot.incidentId, '4', 'rcpt_v1', [filled('ntf_v1')]);
    expect(await dump()).toEqual(once);

    await lineage.record(slot, '4', 'ntf_other');
    expect(await lineage.amends(slot, '5', 'ntf_v2')).toBe('ntf_other');
    expect(await redis.zcard(`da:lineage:ASP:${slot.incidentId}:da-gp-notification:gp:L85901:V1:by-offset`)).toBe(1);
  });

  it("answers the slots of the incident's receipt before the input, passing over an earlier copy of its own", async () => {
    const { force, incidentId } = freshSlot();
    expect(await lineage.issuedBefore(force, incidentId, '2', 'rcpt_v1')).toEqual([]);
    await lineage.recordIssued(force, incidentId, '2', 'rcpt_v1', [filled('ntf_v1')]);
    await lineage.recordIssued(force, incidentId, '4', 'rcpt_v2', []);
    await lineage.recordIssued(force, incidentId, '5', 'rcpt_v2', []);
    expect(await lineage.issuedBefore(force, incidentId, '2', 'rcpt_v1')).toEqual([]);
    expect(await lineage.issuedBefore(force, incidentId, '4', 'rcpt_v2')).toEqual([filled('ntf_v1')]);
    expect(await lineage.issuedBefore(force, incidentId, '5', 'rcpt_v2')).toEqual([filled('ntf_v1')]);
    // A receipt that filled nothing (everything withheld) is still the receipt before the next.
    expect(await lineage.issuedBefore(force, incidentId, '9', 'rcpt_v3')).toEqual([]);
  });

  it(`keeps at most ${MAX_LINEAGE_ENTRIES} entries per key, the newest`, async () => {
    const slot = freshSlot();
    const total = MAX_LINEAGE_ENTRIES + 5;
    for (let offset = 1; offset <= total; offset++) await lineage.record(slot, String(offset), `ntf_${offset}`);
    const key = `da:lineage:ASP:${slot.incidentId}:da-gp-notification:gp:L85901:V1:by-offset`;
    expect(await redis.zcard(key)).toBe(MAX_LINEAGE_ENTRIES);
    expect(await lineage.amends(slot, String(total + 1), 'ntf_next')).toBe(`ntf_${total}`);
    expect(await lineage.amends(slot, '6', 'ntf_6')).toBeNull();
    expect(await lineage.amends(slot, '7', 'ntf_7')).toBe('ntf_6');
  });

  it('refuses an offset that is not a whole number a Redis score holds exactly', async () => {
    const slot = freshSlot();
    for (const offset of ['-1', '1.5', '', '9007199254740993', 'abc']) {
      await expect(lineage.record(slot, offset, 'ntf_x')).rejects.toThrow('an input offset is a whole number');
    }
  });
});
