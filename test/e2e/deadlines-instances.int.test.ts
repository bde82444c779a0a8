/*
 * Two instances of one deployment, one injected clock: both clocks tick every notification that falls due (each
 * instance's worker sees the same deadlines view), yet every deadline fires once, counted on the record (every
 * committed record, repeats kept): one escalation notice and one decision per notification and deadline, one
 * non-delivery report per notification.
 */
import type { DaReceiptStatus } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import type { PublicJwks } from '@hub/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeadlineRecord, type DeadlineRecord } from './deadline-record.ts';
import { jwks, postIncident } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

let clock = new Date('2026-12-07T08:00:00.000Z');
let first: TestHub;
let second: TestHub;
let record: DeadlineRecord;
let keys: PublicJwks;
beforeAll(async () => {
  first = await startTestHub({ now: () => clock });
  second = await startTestHub({ joining: first, env: { KAFKA_INSTANCE_NAME: 'hub-2' }, now: () => clock });
  record = await readDeadlineRecord(first.namespace);
  keys = await jwks(first);
});
afterAll(async () => {
  await record.stop();
  await Promise.all([first.stop(), second.stop()]);
});

const STATE_TIMEOUT = { timeout: 90_000, interval: 500 };
const RECIPIENTS = ['V1@gp:L85901', 'C1@gp:L85901', 'P1@gp:L85904', 'C2@gp:L85902', '-@marac:E06000066'];

async function statuses(hub: TestHub, receiptId: string): Promise<Record<string, string>> {
  const response = await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as DaReceiptStatus;
  return Object.fromEntries(
    body.recipients.map((entry) => [`${entry.subjectRef ?? '-'}@${entry.recipient}`, entry.status]),
  );
}
const all = (status: string) => Object.fromEntries(RECIPIENTS.map((recipient) => [recipient, status]));

describe('delivery deadlines with two hub instances', () => {
  it('each deadline fires once, however many instances tick it', { timeout: 240_000 }, async () => {
    const { receiptId } = await postIncident(first, whitlockIncident());
    await expect.poll(() => statuses(second, receiptId), STATE_TIMEOUT).toEqual(all('delivered'));

    clock = new Date('2026-12-07T12:00:01.000Z');
    await expect.poll(() => statuses(first, receiptId), STATE_TIMEOUT).toEqual(all('escalated'));
    // Both clocks keep looking (and re-tick after 30 s of the hub's clock): nothing fires again.
    clock = new Date('2026-12-07T12:05:00.000Z');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const escalations = await record.noticeCounts(keys, 'delivery-escalation');
    expect([...escalations.values()]).toEqual([1, 1, 1, 1, 1]);
    expect([...escalations.keys()].every((key) => key.endsWith('|fetch'))).toBe(true);
    // Each notification was ticked at least once; whether the second clock's tick of the same one came before the
    // first's firing reached the view is timing (more ticks than 5 in most runs, exactly 5 on a quiet machine).
    expect(record.ticks.length).toBeGreaterThanOrEqual(5);

    clock = new Date('2026-12-08T18:30:01.000Z');
    await expect.poll(() => statuses(second, receiptId), STATE_TIMEOUT).toEqual(all('not-delivered'));
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const reports = await record.noticeCounts(keys, 'non-delivery-report');
    expect([...reports.values()]).toEqual([1, 1, 1, 1, 1]);
    const acknowledgeEscalations = [...(await record.noticeCounts(keys, 'delivery-escalation')).entries()].filter(
      ([key]) => key.endsWith('|acknowledge'),
    );
    expect(acknowledgeEscalations.map(([, count]) => count)).toEqual([1, 1, 1, 1, 1]);
    // One decision per notification and deadline in the audit trail's record too.
    const decisions = new Map<string, number>();
    for (const event of record.decisions) {
      const key = `${event.action}|${event.notificationId ?? ''}|${event.reason ?? ''}`;
      decisions.set(key, (decisions.get(key) ?? 0) + 1);
    }
    expect([...decisions.values()].filter((count) => count !== 1)).toEqual([]);
    // overdue and escalated for fetch and acknowledge, not delivered: 5 decisions for each of the 5 notifications.
    expect(decisions.size).toBe(25);
  });
});
