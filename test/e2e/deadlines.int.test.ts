/*
 * Issue 12's done-when, on the whole hub with an injected clock (the services' clock; tokens use real time): a
 * high-risk notification not fetched escalates exactly once at its deadline; a fetch before the deadline escalates
 * nothing; a late fetch closes the escalation; the final deadline sends one non-delivery report; the force's receipt
 * status and the authority's plan status show each state with its time. "Exactly once" is counted on the record
 * (every committed record of notifications.issued.v1 and audit.events.v1, repeats kept), not in a deduplicating
 * inbox. Two instances: deadlines-instances.int.test.ts; a kill at the deadline: deadlines-kill.int.test.ts.
 *
 * The timeline (Monday 7 December 2026; working hours 08:00-18:30, London = UTC in December):
 *   Mon 08:00  a high-risk incident (Sarah V1 and Mia C1 at L85901, Daniel P1 at L85904, Leo C2 at L85902, the
 *              MARAC referral, and X3 whom nobody can match: a da-exception); a plan for Sophie (L85904); an
 *              emergency department looks Sophie up (an access notification to la:E06000066). L85902 fetches.
 *   Mon 12:00  fetch deadline of the high-risk notifications and the access notification (4 working hours).
 *   Mon 12:30  L85901 fetches (late); L85902 acknowledges Leo's.
 *   Mon 18:30  acknowledgement deadline (10.5 h); Sophie's plan notification's fetch deadline (10.5 h).
 *   Tue 18:30  final deadline of the high-risk ones (21 h): non-delivery reports to force:ASP; Sophie's plan
 *              notification's acknowledgement deadline; the access notification's final (recorded only).
 */
import type { CpPlanDeliveryStatus, DaReceiptStatus, ReceiptRecipientStatus } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import type { PublicJwks } from '@hub/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeadlineRecord, type DeadlineRecord } from './deadline-record.ts';
import { jwks, openNotification, postIncident, readInbox, type InboxItem } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

let clock = new Date('2026-12-07T08:00:00.000Z');
const at = (iso: string) => {
  clock = new Date(iso);
};
let hub: TestHub;
let record: DeadlineRecord;
let keys: PublicJwks;
beforeAll(async () => {
  hub = await startTestHub({ now: () => clock });
  record = await readDeadlineRecord(hub.namespace);
  keys = await jwks(hub);
});
afterAll(async () => {
  await record.stop();
  await hub.stop();
});

const SOPHIE = '9991003096'; // child, L85904
const STATE_TIMEOUT = { timeout: 90_000, interval: 500 };
const FETCH_DUE = '2026-12-07T12:00:00.000Z';
const ACK_DUE = '2026-12-07T18:30:00.000Z';
const FINAL_DUE = '2026-12-08T18:30:00.000Z';

const incident = whitlockIncident({
  subjects: [
    ...whitlockIncident().subjects,
    {
      ref: 'X3',
      role: 'child',
      name: { given: 'Unknown', family: 'Person' },
      birthDate: '2014-02-02',
      postcode: 'TA1 9ZZ',
    },
  ],
});
let receiptId = '';

async function receiptStatus(): Promise<Record<string, ReceiptRecipientStatus>> {
  const response = await hub.call('police', `/v1/domestic-abuse-incidents/${receiptId}`);
  expect(response.status, await response.clone().text()).toBe(200);
  const body = (await response.json()) as DaReceiptStatus;
  return Object.fromEntries(body.recipients.map((entry) => [`${entry.subjectRef ?? '-'}@${entry.recipient}`, entry]));
}

/** Each recipient's status, e.g. { 'V1@gp:L85901': 'escalated', ... }. */
async function statuses(): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await receiptStatus()).map(([key, entry]) => [key, entry.status]));
}

async function planStatus(planId: string): Promise<CpPlanDeliveryStatus> {
  const response = await hub.call('somersetLa', `/v1/child-protection-plans/${planId}/status`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as CpPlanDeliveryStatus;
}

/** The plan's version notification's status and its access notification's status. */
async function planStates(planId: string): Promise<{ version: string | undefined; access: string | undefined }> {
  const status = await planStatus(planId);
  return {
    version: status.versions[0]?.notifications[0]?.status,
    access: status.accessNotifications[0]?.notifications[0]?.status,
  };
}

async function opened(client: string, recipient: string, kind: string): Promise<Record<string, unknown>[]> {
  const items = (await readInbox(hub, client, recipient)).filter((item: InboxItem) => item.kind === kind);
  return Promise.all(items.map((item) => openNotification(hub, item)));
}

/** Per notice kind, how many records concern each (notification, deadline); every count must be 1. */
async function once(kind: 'delivery-escalation' | 'escalation-closed' | 'non-delivery-report'): Promise<number> {
  const counts = await record.noticeCounts(keys, kind);
  expect(
    [...counts.values()].filter((count) => count !== 1),
    `${kind} fired more than once`,
  ).toEqual([]);
  return counts.size;
}

describe('delivery deadlines on the whole hub, by an injected clock', () => {
  it('Mon 08:00: everything is delivered, and a fetch before the deadline is recorded', async () => {
    ({ receiptId } = await postIncident(hub, incident));
    const plan = await hub.call('somersetLa', '/v1/child-protection-plans/CP-SOPHIE-1', {
      method: 'PUT',
      body: JSON.stringify({
        type: 'child-protection-plan',
        nhsNumber: SOPHIE,
        startDate: '2026-11-20',
        contact: { team: 'Taunton', officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
      }),
    });
    expect(plan.status, await plan.clone().text()).toBe(200);
    await expect
      .poll(async () => (await planStatus('CP-SOPHIE-1')).versions[0]?.notifications[0]?.status, STATE_TIMEOUT)
      .toBe('delivered');
    const lookup = await hub.call(
      'edTaunton',
      `/v1/child-protection-flags?nhsNumber=${SOPHIE}&settingOds=RZ901&settingType=emergency-department`,
    );
    expect(lookup.status, await lookup.clone().text()).toBe(200);

    await expect.poll(statuses, STATE_TIMEOUT).toEqual({
      'V1@gp:L85901': 'delivered',
      'C1@gp:L85901': 'delivered',
      'P1@gp:L85904': 'delivered',
      'C2@gp:L85902': 'delivered',
      'X3@exceptions:E06000066': 'delivered',
      '-@marac:E06000066': 'delivered',
    });
    await expect
      .poll(() => planStates('CP-SOPHIE-1'), STATE_TIMEOUT)
      .toEqual({ version: 'delivered', access: 'delivered' });
    // Leo's practice fetches before any deadline.
    expect((await readInbox(hub, 'gpOther', 'gp:L85902')).length).toBe(1);
    await expect.poll(async () => (await statuses())['C2@gp:L85902'], STATE_TIMEOUT).toBe('fetched');
  });

  it('Mon 12:00: each unfetched high-risk notification escalates once; the fetched one does not; record-only is overdue', async () => {
    at('2026-12-07T12:00:01.000Z');
    await expect.poll(statuses, STATE_TIMEOUT).toEqual({
      'V1@gp:L85901': 'escalated',
      'C1@gp:L85901': 'escalated',
      'P1@gp:L85904': 'escalated',
      'C2@gp:L85902': 'fetched',
      'X3@exceptions:E06000066': 'overdue',
      '-@marac:E06000066': 'escalated',
    });
    await expect
      .poll(() => planStates('CP-SOPHIE-1'), STATE_TIMEOUT)
      .toEqual({ version: 'delivered', access: 'escalated' });
    const status = await receiptStatus();
    expect(status['V1@gp:L85901']).toMatchObject({
      deadline: 'fetch',
      times: { overdue: FETCH_DUE, escalated: '2026-12-07T12:00:01.000Z', fetched: null, notDelivered: null },
    });
    expect(status['X3@exceptions:E06000066']).toMatchObject({
      deadline: 'fetch',
      times: { overdue: FETCH_DUE, escalated: null },
    });

    // The area's safeguarding team (exceptions:E06000066) pulls its escalations: one per late notification, signed.
    const escalations = await opened('somersetLa', 'exceptions:E06000066', 'delivery-escalation');
    expect(escalations).toHaveLength(5);
    expect(new Set(escalations.map((payload) => (payload['concerns'] as { recipient: string }).recipient))).toEqual(
      new Set(['gp:L85901', 'gp:L85904', 'marac:E06000066', 'la:E06000066']),
    );
    const daniel = escalations.find(
      (payload) => (payload['concerns'] as { recipient: string; kind: string }).recipient === 'gp:L85904',
    );
    expect(daniel).toMatchObject({
      kind: 'delivery-escalation',
      recipient: 'exceptions:E06000066',
      deadline: 'fetch',
      rule: 'DL-DA-GP-HIGH',
      policyVersion: 'da-2026.12.1',
      due: FETCH_DUE,
      sender: 'force:ASP',
      concerns: { kind: 'da-gp-notification', receiptId },
    });
    // Nothing personal in a notice: no NHS number, name or birth date of anyone.
    expect(JSON.stringify(escalations)).not.toMatch(/9991001018|Whitlock|1991-04-12|Unknown Person/);
    expect(await once('delivery-escalation')).toBe(5);
    // Each escalation's decision is audited with its rule and policy version.
    const escalated = record.decisions.filter((event) => event.action === 'notification-escalated');
    expect(escalated.map((event) => event.decision?.rule).sort()).toEqual([
      'DL-CP-ACCESS',
      'DL-DA-GP-HIGH',
      'DL-DA-GP-HIGH',
      'DL-DA-GP-HIGH',
      'DL-DA-MARAC',
    ]);
    expect(escalated.every((event) => event.decision?.outcome === 'escalated' && event.reason === 'fetch')).toBe(true);
  });

  it('Mon 12:30: a late fetch closes its escalation, and whoever was escalated to is told once', async () => {
    at('2026-12-07T12:30:00.000Z');
    expect((await readInbox(hub, 'gpVictim', 'gp:L85901')).length).toBe(2);
    const leo = (await readInbox(hub, 'gpOther', 'gp:L85902'))[0];
    const ack = await hub.call('gpOther', `/v1/inboxes/gp:L85902/notifications/${leo?.id ?? ''}/acknowledgement`, {
      method: 'POST',
    });
    expect(ack.status).toBe(200);
    await expect
      .poll(async () => (await opened('somersetLa', 'exceptions:E06000066', 'escalation-closed')).length, STATE_TIMEOUT)
      .toBe(2);
    await expect.poll(async () => (await statuses())['V1@gp:L85901'], STATE_TIMEOUT).toBe('fetched');
    expect((await receiptStatus())['V1@gp:L85901']).toMatchObject({
      deadline: null,
      times: { overdue: FETCH_DUE, fetched: '2026-12-07T12:30:00.000Z', escalationClosed: '2026-12-07T12:30:00.000Z' },
    });
    expect((await statuses())['C2@gp:L85902']).toBe('acknowledged');
    expect(await once('escalation-closed')).toBe(2);
  });

  it(
    'Tue 18:30: the final deadline sends one non-delivery report per notification to the force inbox',
    { timeout: 120_000 },
    async () => {
      at('2026-12-08T18:30:01.000Z');
      await expect.poll(statuses, STATE_TIMEOUT).toEqual({
        'V1@gp:L85901': 'not-delivered',
        'C1@gp:L85901': 'not-delivered',
        'P1@gp:L85904': 'not-delivered',
        'C2@gp:L85902': 'acknowledged',
        'X3@exceptions:E06000066': 'not-delivered',
        '-@marac:E06000066': 'not-delivered',
      });
      const status = await receiptStatus();
      expect(status['V1@gp:L85901']).toMatchObject({
        status: 'not-delivered',
        deadline: 'final',
        times: {
          delivered: expect.any(String) as string,
          fetched: '2026-12-07T12:30:00.000Z',
          acknowledged: null,
          overdue: FETCH_DUE,
          escalated: '2026-12-07T12:00:01.000Z',
          escalationClosed: '2026-12-07T12:30:00.000Z',
          notDelivered: FINAL_DUE,
        },
      });
      expect(status['C2@gp:L85902']?.times).toMatchObject({ overdue: null, escalated: null, notDelivered: null });

      // The force pulls its own inbox: one report per notification not acknowledged, signed, about its own receipt.
      const reports = await opened('police', 'force:ASP', 'non-delivery-report');
      expect(reports).toHaveLength(5);
      expect(reports.every((payload) => payload['recipient'] === 'force:ASP')).toBe(true);
      const sarah = reports.find(
        (payload) => (payload['concerns'] as { subjectRef: string | null }).subjectRef === 'V1',
      );
      expect(sarah).toMatchObject({
        concerns: { recipient: 'gp:L85901', receiptId, subjectRef: 'V1' },
        rule: 'DL-DA-GP-HIGH',
        due: FINAL_DUE,
        reached: 'fetched',
        escalatedTo: 'exceptions:E06000066',
      });
      expect(await once('non-delivery-report')).toBe(5);
      // Another force's inbox is not the caller's: 404 (audited), as any inbox.
      expect((await hub.call('otherForce', '/v1/inboxes/force:ASP/notifications')).status).toBe(404);
      // Acknowledgement escalations fired once each too (the access and plan notifications among them).
      await expect
        .poll(() => planStates('CP-SOPHIE-1'), STATE_TIMEOUT)
        .toEqual({ version: 'escalated', access: 'not-delivered' });
      expect(await once('delivery-escalation')).toBe(12);
    },
  );

  it(
    "the authority's plan status shows each state with its time, and an acknowledgement ends the escalations",
    { timeout: 120_000 },
    async () => {
      at('2026-12-08T19:00:00.000Z');
      const items = await readInbox(hub, 'gpPerpetrator', 'gp:L85904');
      const planItem = items.find((item) => item.kind === 'cp-gp-notification');
      const ack = await hub.call(
        'gpPerpetrator',
        `/v1/inboxes/gp:L85904/notifications/${planItem?.id ?? ''}/acknowledgement`,
        { method: 'POST' },
      );
      expect(ack.status).toBe(200);
      await expect
        .poll(() => planStates('CP-SOPHIE-1'), STATE_TIMEOUT)
        .toEqual({ version: 'acknowledged', access: 'not-delivered' });
      const status = await planStatus('CP-SOPHIE-1');
      expect(status.versions[0]?.notifications[0]).toMatchObject({
        kind: 'cp-gp-notification',
        recipient: 'gp:L85904',
        deadline: null,
        times: {
          overdue: ACK_DUE,
          fetched: '2026-12-08T19:00:00.000Z',
          acknowledged: '2026-12-08T19:00:00.000Z',
          notDelivered: null,
        },
      });
      expect(status.accessNotifications[0]?.notifications[0]).toMatchObject({
        kind: 'cp-access-notification',
        recipient: 'la:E06000066',
        status: 'not-delivered',
        deadline: 'final',
        times: { overdue: FETCH_DUE, notDelivered: FINAL_DUE, fetched: null },
      });
      // Closed: Sophie's fetch and acknowledgement escalations, and Daniel's fetch escalation (his practice fetched).
      await expect.poll(() => once('escalation-closed'), STATE_TIMEOUT).toBe(5);
      // Another authority sees no such plan.
      expect((await hub.call('bristolLa', '/v1/child-protection-plans/CP-SOPHIE-1/status')).status).toBe(404);
    },
  );
});
