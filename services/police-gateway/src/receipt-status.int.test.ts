import { auditEvent } from '@hub/audit';
import { closeRedis, createRedis, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiptStatusView, type ReceiptStatusView } from './receipt-status.ts';

let redis: RedisClient;
let view: ReceiptStatusView;
beforeAll(() => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'status-test',
    logger: captureLogs().logger,
  });
  view = createReceiptStatusView(redis);
});
afterAll(async () => {
  await closeRedis(redis);
});

const at = new Date('2026-11-22T00:00:00Z');
const gp = { receiptId: 'rcpt_s', recipient: 'gp:A81001' as const, subjectRef: 'S1' };

describe('receipt status view', () => {
  it('moves forward only, whatever order or how often the events arrive', async () => {
    await view.apply(auditEvent('inbox', 'notification-fetched', at, gp));
    await view.apply(auditEvent('inbox', 'notification-stored', at, gp));
    await view.apply(
      auditEvent('ig', 'decision-recorded', at, {
        ...gp,
        decision: { rule: 'DA-CHILD', policyVersion: 'v', outcome: 'share', lawfulBasis: [], reason: 'r' },
      }),
    );
    expect((await view.entries('rcpt_s')).map((e) => e.status)).toEqual(['fetched']);
    await view.apply(auditEvent('inbox', 'notification-acknowledged', at, gp));
    await view.apply(auditEvent('inbox', 'notification-acknowledged', at, gp));
    expect(await view.entries('rcpt_s')).toEqual([
      {
        recipient: 'gp:A81001',
        subjectRef: 'S1',
        status: 'acknowledged',
        reason: null,
        updatedAt: at.toISOString(),
        deadline: null,
        times: {
          decided: at.toISOString(),
          delivered: at.toISOString(),
          fetched: at.toISOString(),
          acknowledged: at.toISOString(),
          overdue: null,
          escalated: null,
          escalationClosed: null,
          notDelivered: null,
        },
      },
    ]);
  });

  it('applies a batch in one pipeline as one by one, in any order and again', async () => {
    const events = (receiptId: string) => [
      auditEvent('inbox', 'notification-fetched', at, { ...gp, receiptId }),
      auditEvent('inbox', 'notification-stored', at, { ...gp, receiptId }),
      auditEvent('ig', 'decision-recorded', at, {
        receiptId,
        recipient: 'exceptions:E06000066',
        subjectRef: 'S9',
        reason: 'no-match',
        decision: { rule: 'DA-EXCEPTION', policyVersion: 'v', outcome: 'exception', lawfulBasis: [], reason: 'r' },
      }),
      auditEvent('cp-notifier', 'notification-stored', at, { ...gp, receiptId: 'cpv_batch' }),
    ];
    for (const event of events('rcpt_one')) await view.apply(event);
    await view.applyAll(events('rcpt_batch').reverse());
    await view.applyAll(events('rcpt_batch'));
    await view.applyAll([]);
    const one = await view.entries('rcpt_one');
    expect(one.map((e) => [e.recipient, e.status, e.reason])).toEqual([
      ['exceptions:E06000066', 'exception', 'no-match'],
      ['gp:A81001', 'fetched', null],
    ]);
    expect(await view.entries('rcpt_batch')).toEqual(one);
    expect(await view.entries('cpv_batch')).toEqual([]);
  });

  it('keeps no status for records that are not police receipts (plan versions, look-ups)', async () => {
    await view.apply(auditEvent('cp-notifier', 'notification-stored', at, { ...gp, receiptId: 'cpv_s' }));
    expect(await view.entries('cpv_s')).toEqual([]);
  });

  it('shows exceptions with their reason code, one entry per person', async () => {
    for (const subjectRef of ['S2', 'S3']) {
      await view.apply(
        auditEvent('ig', 'decision-recorded', at, {
          receiptId: 'rcpt_x',
          recipient: 'exceptions:E06000066',
          subjectRef,
          reason: 'no-match',
          decision: { rule: 'DA-EXCEPTION', policyVersion: 'v', outcome: 'exception', lawfulBasis: [], reason: 'r' },
        }),
      );
    }
    const entries = await view.entries('rcpt_x');
    expect(entries.map((e) => [e.subjectRef, e.status, e.reason])).toEqual([
      ['S2', 'exception', 'no-match'],
      ['S3', 'exception', 'no-match'],
    ]);
  });
});
