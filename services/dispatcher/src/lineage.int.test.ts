import type { IssuedNotification } from '@hub/contracts';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createLineage, MAX_LINEAGE_ENTRIES, type Lineage } from './lineage.ts';

const clients: RedisClient[] = [];

/** A lineage on an empty key space of its own, and its client (to look at the keys). */
function freshLineage(): { lineage: Lineage; redis: RedisClient } {
  const redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'dispatcher-lineage-test',
    logger: captureLogs('dispatcher').logger,
  });
  clients.push(redis);
  return { lineage: createLineage(redis), redis };
}
afterAll(async () => {
  for (const redis of clients) {
    const written = await scanKeys(redis, '*');
    if (written.length > 0) await redis.del(...written);
    await closeRedis(redis);
  }
});

const { lineage, redis } = freshLineage();

let incidents = 0;
/** An incident no other test uses. */
function freshIncident(): string {
  incidents += 1;
  return `LINEAGE-${incidents}`;
}

interface Issue {
  readonly incidentId: string;
  readonly offset: string;
  readonly receiptId: string;
  readonly notificationId: string;
  readonly recipient?: string;
  readonly subjectRef?: string | null;
  /** A withdrawal of a GP notification, in that notification's slot. */
  readonly withdrawal?: boolean;
}

/** An issued record as the dispatcher issues it (the lineage reads only its ids and `lineage`). */
function issued(issue: Issue): IssuedNotification {
  return {
    notificationId: issue.notificationId,
    recipient: issue.recipient ?? 'gp:L85901',
    kind: issue.withdrawal === true ? 'da-withdrawal' : 'da-gp-notification',
    receiptId: issue.receiptId,
    subjectRef: issue.subjectRef === undefined ? 'V1' : issue.subjectRef,
    amends: null,
    issuedAt: '2026-11-23T10:00:00.000Z',
    jws: 'not-read-here',
    lineage: { incidentRef: `ASP:${issue.incidentId}`, decisionOffset: issue.offset, slotKind: 'da-gp-notification' },
  };
}

const slotOf = (incidentId: string, recipient = 'gp:L85901', subjectRef: string | null = 'V1') => ({
  force: 'ASP',
  incidentId,
  kind: 'da-gp-notification',
  recipient,
  subjectRef,
});

const filled = (notificationId: string, recipient = 'gp:L85901', subjectRef = 'V1') => ({
  kind: 'da-gp-notification',
  recipient,
  subjectRef,
  notificationId,
});

/** Every key of a key space with its sorted set as Redis holds it (members and scores). */
async function dump(client: RedisClient): Promise<[string, string[]][]> {
  const keys = (await scanKeys(client, '*')).sort();
  return Promise.all(
    keys.map(async (key): Promise<[string, string[]]> => [key, await client.zrange(key, 0, -1, 'WITHSCORES')]),
  );
}

describe('the amendment lineage, keyed by decision offset', () => {
  it('answers the latest entry strictly below the input, whatever later inputs wrote', async () => {
    const incidentId = freshIncident();
    const slot = slotOf(incidentId);
    await lineage.recordIssued(issued({ incidentId, offset: '7', receiptId: 'rcpt_1', notificationId: 'ntf_v1' }));
    await lineage.recordIssued(issued({ incidentId, offset: '9', receiptId: 'rcpt_2', notificationId: 'ntf_v2' }));
    await lineage.recordIssued(issued({ incidentId, offset: '12', receiptId: 'rcpt_3', notificationId: 'ntf_v3' }));
    expect(await lineage.amends(slot, '7', 'ntf_v1')).toBeNull();
    expect(await lineage.amends(slot, '8', 'ntf_other')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '9', 'ntf_v2')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '12', 'ntf_v3')).toBe('ntf_v2');
    expect(await lineage.amends(slot, '13', 'ntf_v4')).toBe('ntf_v3');
    expect(await lineage.amends(slotOf(incidentId, 'gp:L85902'), '13', 'ntf_v4')).toBeNull();
  });

  it('an earlier copy of the same notification (a receipt in the topic twice) is passed over', async () => {
    const incidentId = freshIncident();
    const slot = slotOf(incidentId);
    await lineage.recordIssued(issued({ incidentId, offset: '3', receiptId: 'rcpt_1', notificationId: 'ntf_v1' }));
    await lineage.recordIssued(issued({ incidentId, offset: '5', receiptId: 'rcpt_2', notificationId: 'ntf_v2' }));
    await lineage.recordIssued(issued({ incidentId, offset: '6', receiptId: 'rcpt_2', notificationId: 'ntf_v2' }));
    expect(await lineage.amends(slot, '6', 'ntf_v2')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '8', 'ntf_v2')).toBe('ntf_v1');
    expect(await lineage.amends(slot, '8', 'ntf_v3')).toBe('ntf_v2');
    expect(await lineage.issuedBefore('ASP', incidentId, '6', 'rcpt_2')).toEqual([filled('ntf_v1')]);
    expect(await lineage.issuedBefore('ASP', incidentId, '8', 'rcpt_3')).toEqual([filled('ntf_v2')]);
  });

  it("answers the slots the incident's latest decision set that issued anything filled, not what it withdrew", async () => {
    const incidentId = freshIncident();
    const before = (offset: string, receiptId: string) => lineage.issuedBefore('ASP', incidentId, offset, receiptId);
    expect(await before('2', 'rcpt_1')).toEqual([]);
    // rcpt_1 fills two slots, rcpt_2 keeps one and withdraws the other, rcpt_3 only withdraws, rcpt_4 (offset 5)
    // issues nothing at all (so it has no entry), rcpt_5 fills one again.
    await lineage.recordIssued(issued({ incidentId, offset: '2', receiptId: 'rcpt_1', notificationId: 'ntf_a1' }));
    await lineage.recordIssued(
      issued({ incidentId, offset: '2', receiptId: 'rcpt_1', notificationId: 'ntf_b1', recipient: 'gp:L85902' }),
    );
    await lineage.recordIssued(issued({ incidentId, offset: '3', receiptId: 'rcpt_2', notificationId: 'ntf_a2' }));
    await lineage.recordIssued(
      issued({
        incidentId,
        offset: '3',
        receiptId: 'rcpt_2',
        notificationId: 'ntf_wb',
        recipient: 'gp:L85902',
        withdrawal: true,
      }),
    );
    await lineage.recordIssued(
      issued({ incidentId, offset: '4', receiptId: 'rcpt_3', notificationId: 'ntf_wa', withdrawal: true }),
    );
    await lineage.recordIssued(
      issued({ incidentId, offset: '6', receiptId: 'rcpt_5', notificationId: 'ntf_b5', recipient: 'gp:L85902' }),
    );

    expect(await before('2', 'rcpt_1')).toEqual([]);
    expect(await before('3', 'rcpt_2')).toEqual([filled('ntf_a1'), filled('ntf_b1', 'gp:L85902')]);
    expect(await before('4', 'rcpt_3')).toEqual([filled('ntf_a2')]);
    expect(await before('5', 'rcpt_4')).toEqual([]); // what rcpt_3 filled: nothing, so rcpt_4 withdrew nothing
    expect(await before('6', 'rcpt_5')).toEqual([]);
    expect(await before('7', 'rcpt_6')).toEqual([filled('ntf_b5', 'gp:L85902')]);
    // The slot's own lineage: the share after a withdrawal amends the withdrawal.
    expect(await lineage.amends(slotOf(incidentId, 'gp:L85902'), '6', 'ntf_b5')).toBe('ntf_wb');
    expect(await lineage.amends(slotOf(incidentId), '7', 'ntf_a7')).toBe('ntf_wa');
  });

  it('writing a record again changes nothing; another record for the same slot and offset replaces it', async () => {
    const incidentId = freshIncident();
    const record = issued({ incidentId, offset: '4', receiptId: 'rcpt_1', notificationId: 'ntf_v1' });
    const other = issued({ incidentId, offset: '4', receiptId: 'rcpt_1', notificationId: 'ntf_b', recipient: 'gp:B1' });
    await lineage.recordIssued(record);
    await lineage.recordIssued(other);
    const once = await dump(redis);
    await lineage.recordIssued(record);
    await lineage.recordIssued(other);
    expect(await dump(redis)).toEqual(once);

    await lineage.recordIssued({ ...record, notificationId: 'ntf_replaced' });
    expect(await lineage.amends(slotOf(incidentId), '5', 'ntf_v2')).toBe('ntf_replaced');
    expect(await lineage.issuedBefore('ASP', incidentId, '5', 'rcpt_2')).toEqual([
      filled('ntf_b', 'gp:B1'),
      filled('ntf_replaced'),
    ]);
  });

  it('builds the same keys whatever order the records come in, trimming included', async () => {
    const incidentId = freshIncident();
    // Two slots over more decision sets than a key keeps, and a withdrawal-only set among them.
    const records: IssuedNotification[] = [];
    for (let offset = 1; offset <= MAX_LINEAGE_ENTRIES + 6; offset++) {
      const receiptId = `rcpt_${offset}`;
      if (offset === 100) {
        records.push(issued({ incidentId, offset: '100', receiptId, notificationId: 'ntf_w', withdrawal: true }));
        continue;
      }
      records.push(issued({ incidentId, offset: String(offset), receiptId, notificationId: `ntf_a${offset}` }));
      records.push(
        issued({ incidentId, offset: String(offset), receiptId, notificationId: `ntf_b${offset}`, recipient: 'gp:B' }),
      );
    }
    const inOrder = freshLineage();
    const reversed = freshLineage();
    const shuffled = freshLineage();
    for (const record of records) await inOrder.lineage.recordIssued(record);
    for (const record of records.toReversed()) await reversed.lineage.recordIssued(record);
    const mixed = records
      .map((record, i) => [(i * 7919) % records.length, record] as const)
      .sort((a, b) => a[0] - b[0]);
    for (const [, record] of mixed) await shuffled.lineage.recordIssued(record);

    const expected = await dump(inOrder.redis);
    expect(await dump(reversed.redis)).toEqual(expected);
    expect(await dump(shuffled.redis)).toEqual(expected);
    // Each key keeps the newest offsets, whole: every slot's entry of each.
    const last = MAX_LINEAGE_ENTRIES + 6;
    const incidentSet = expected.find(([key]) => key.startsWith('da:issued:'))![1];
    const offsets = new Set(incidentSet.filter((_, i) => i % 2 === 1));
    expect(offsets.size).toBe(MAX_LINEAGE_ENTRIES);
    expect(Math.min(...[...offsets].map(Number))).toBe(last - MAX_LINEAGE_ENTRIES + 1);
    expect(incidentSet.length / 2).toBe(2 * MAX_LINEAGE_ENTRIES - 1); // offset 100 holds one withdrawal
    expect(await inOrder.lineage.issuedBefore('ASP', incidentId, String(last + 1), 'rcpt_next')).toEqual([
      filled(`ntf_b${last}`, 'gp:B'),
      filled(`ntf_a${last}`),
    ]);
    expect(await inOrder.lineage.amends(slotOf(incidentId), '101', 'ntf_a101')).toBe('ntf_w');
  });

  it(`keeps at most ${MAX_LINEAGE_ENTRIES} entries per slot, the newest`, async () => {
    const incidentId = freshIncident();
    const slot = slotOf(incidentId);
    const total = MAX_LINEAGE_ENTRIES + 5;
    for (let offset = 1; offset <= total; offset++) {
      await lineage.recordIssued(
        issued({ incidentId, offset: String(offset), receiptId: `rcpt_${offset}`, notificationId: `ntf_${offset}` }),
      );
    }
    const key = `da:lineage:ASP:${incidentId}:da-gp-notification:gp:L85901:V1:by-offset`;
    expect(await redis.zcard(key)).toBe(MAX_LINEAGE_ENTRIES);
    expect(await lineage.amends(slot, String(total + 1), 'ntf_next')).toBe(`ntf_${total}`);
    expect(await lineage.amends(slot, '6', 'ntf_6')).toBeNull();
    expect(await lineage.amends(slot, '7', 'ntf_7')).toBe('ntf_6');
  });

  it('records nothing for a notification without lineage (child protection, or issued before the field)', async () => {
    const { lineage: empty, redis: client } = freshLineage();
    const { lineage: _lineage, ...withoutLineage } = issued({
      incidentId: freshIncident(),
      offset: '1',
      receiptId: 'rcpt_1',
      notificationId: 'ntf_1',
    });
    expect(await empty.recordIssued(withoutLineage)).toBe(false);
    expect(await empty.recordIssued({ ...withoutLineage, kind: 'cp-gp-notification' })).toBe(false);
    expect(await scanKeys(client, '*')).toEqual([]);
  });

  it('refuses an offset that is not a whole number a Redis score holds exactly', async () => {
    const incidentId = freshIncident();
    for (const offset of ['-1', '1.5', '', '9007199254740993', 'abc']) {
      await expect(
        lineage.recordIssued(issued({ incidentId, offset, receiptId: 'rcpt_1', notificationId: 'ntf_x' })),
      ).rejects.toThrow('an input offset is a whole number');
      await expect(lineage.amends(slotOf(incidentId), offset, 'ntf_x')).rejects.toThrow('an input offset');
    }
  });
});
