import type { DaIncidentReceived } from '@hub/contracts';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, sampleIncident, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncidentView, type IncidentView } from './intake.ts';

let redis: RedisClient;
let view: IncidentView;
const logs = captureLogs('police-gateway');

beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'test',
    logger: logs.logger,
  });
  view = createIncidentView(redis);
});

afterAll(async () => {
  if ((redis as RedisClient | undefined) !== undefined) await closeRedis(redis);
});

function version(incidentId: string, receiptId: string, amendsReceiptId: string | null): DaIncidentReceived {
  return {
    receiptId,
    force: 'ASP',
    incidentId,
    contentHash: 'a'.repeat(64),
    amendsReceiptId,
    receivedAt: '2026-12-06T12:00:00.000Z',
    submittedBy: 'police-asp',
    submission: sampleIncident({ incidentId }),
  };
}

describe('incident view apply (receipt and latest version in one round trip)', () => {
  it('has both the receipt and the latest version written once apply resolves', async () => {
    const incidentId = uniqueId('INC');
    const first = version(incidentId, `rcpt_${uniqueId('a')}`, null);
    expect(await view.apply(first, '7')).toBe('applied');
    expect(await view.receipt(first.receiptId)).toEqual({
      receiptId: first.receiptId,
      force: 'ASP',
      incidentId,
      amendsReceiptId: null,
      receivedAt: first.receivedAt,
    });
    expect((await view.latest('ASP', incidentId))?.versionId).toBe(first.receiptId);
    // Applied again (the projector after the intake): the same, nothing moves.
    expect(await view.apply(first, '7')).toBe('held');
  });

  it('writes every version as a receipt, even one the latest version does not take', async () => {
    const incidentId = uniqueId('INC');
    const orphan = version(incidentId, `rcpt_${uniqueId('b')}`, `rcpt_${uniqueId('missing')}`);
    expect(await view.apply(orphan, '9')).toBe('gap');
    expect((await view.receipt(orphan.receiptId))?.amendsReceiptId).toBe(orphan.amendsReceiptId);
    expect(await view.latest('ASP', incidentId)).toBeUndefined();
  });

  it('fails when the version cannot be applied, the receipt written all the same', async () => {
    const incidentId = uniqueId('INC');
    const first = version(incidentId, `rcpt_${uniqueId('c')}`, null);
    await expect(view.apply(first, 'not-an-offset')).rejects.toThrow(RangeError);
    expect((await view.receipt(first.receiptId))?.receiptId).toBe(first.receiptId);
    expect(await view.latest('ASP', incidentId)).toBeUndefined();
  });
});
