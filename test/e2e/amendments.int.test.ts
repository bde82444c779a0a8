import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditSearch,
  decisionsOf,
  openNotification,
  postIncident,
  readInbox,
  waitForInbox,
  type InboxItem,
} from './flow.ts';
import { WHITLOCK_IDENTIFIERS, whitlockIncident } from './whitlock.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub.stop();
});

async function payloadsOf(items: readonly InboxItem[]) {
  return Promise.all(items.map(async (item) => ({ item, payload: await openNotification(hub, item) })));
}

describe('resends and amendments', () => {
  // Medium risk with children present: victim and children notified, perpetrator withheld, no MARAC.
  const first = whitlockIncident({ dash: { level: 'medium' } });
  const amended = { ...first, dash: { level: 'high' as const } };

  it('an unchanged resend returns the same receipt and changes nothing downstream', async () => {
    const original = await postIncident(hub, first);
    await decisionsOf(hub, original.receiptId, 5);
    const before = await waitForInbox(hub, 'gpVictim', 'gp:L85901', 2);

    const resent = await postIncident(hub, structuredClone(first));
    expect(resent).toEqual({ receiptId: original.receiptId, status: 'unchanged', amendsReceiptId: null });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await readInbox(hub, 'gpVictim', 'gp:L85901')).map((item) => item.id)).toEqual(
      before.map((item) => item.id),
    );
    expect(await readInbox(hub, 'gpPerpetrator', 'gp:L85904')).toHaveLength(0);
    expect(await readInbox(hub, 'marac', 'marac:E06000066')).toHaveLength(0);
  });

  it('a changed resend is an amendment: re-evaluated, and each new notification says which one it amends', async () => {
    const originalItems = await payloadsOf(await readInbox(hub, 'gpVictim', 'gp:L85901'));
    const receipt = await postIncident(hub, amended);
    expect(receipt.status).toBe('accepted');
    expect(receipt.amendsReceiptId).not.toBeNull();
    await decisionsOf(hub, receipt.receiptId, 5);

    const victimPractice = await payloadsOf(await waitForInbox(hub, 'gpVictim', 'gp:L85901', 4));
    const newOnes = victimPractice.filter(({ payload }) => payload['receiptId'] === receipt.receiptId);
    expect(newOnes).toHaveLength(2);
    for (const { item, payload } of newOnes) {
      const previous = originalItems.find(
        (old) =>
          (old.payload['patient'] as { nhsNumber: string }).nhsNumber ===
          (payload['patient'] as { nhsNumber: string }).nhsNumber,
      );
      expect(previous, 'the amended notification has a predecessor for the same patient').toBeDefined();
      expect(item.amends).toBe(previous!.item.id);
      expect(payload['amends']).toBe(previous!.item.id);
    }
    const victim = newOnes.find(({ payload }) => payload['role'] === 'victim')!.payload;
    expect(victim).toMatchObject({ rule: 'DA-VICTIM-MARAC', effectiveRisk: 'high', maracReferralMade: true });

    // Newly met MARAC criteria: the perpetrator's practice and the MARAC hear for the first time (amends nothing).
    const [perpetrator] = await waitForInbox(hub, 'gpPerpetrator', 'gp:L85904', 1);
    expect(perpetrator!.amends).toBeNull();
    const [referral] = await waitForInbox(hub, 'marac', 'marac:E06000066', 1);
    expect((await openNotification(hub, referral!))['receiptId']).toBe(receipt.receiptId);
  });

  it('resending the amended version changes nothing more', async () => {
    const counts = async () =>
      Promise.all(
        [
          ['gpVictim', 'gp:L85901'],
          ['gpOther', 'gp:L85902'],
          ['gpPerpetrator', 'gp:L85904'],
          ['marac', 'marac:E06000066'],
        ].map(async ([client, inbox]) => (await readInbox(hub, client!, inbox!)).length),
      );
    const before = await counts();
    const again = await postIncident(hub, structuredClone(amended));
    expect(again.status).toBe('unchanged');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await counts()).toEqual(before);
    expect(before).toEqual([4, 2, 1, 1]);
  });
});

/** One inbox's items about one incident, each with its verified payload (the JWS is checked against the JWKS). */
async function incidentItems(client: string, inbox: string, incidentId: string) {
  const all = await payloadsOf(await readInbox(hub, client, inbox));
  return all.filter(({ payload }) => (payload['incident'] as { incidentId: string }).incidentId === incidentId);
}

async function waitForIncidentItems(client: string, inbox: string, incidentId: string, count: number) {
  await expect
    .poll(async () => (await incidentItems(client, inbox, incidentId)).length, { timeout: 20_000, interval: 250 })
    .toBeGreaterThanOrEqual(count);
  // A little longer, so that a doubled item would show.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return incidentItems(client, inbox, incidentId);
}

const nhsNumberOf = (payload: Record<string, unknown>) => (payload['patient'] as { nhsNumber: string }).nhsNumber;
const givenNameOf = (payload: Record<string, unknown>) =>
  (payload['patient'] as { name: { given: string } }).name.given;

describe('withdrawals: an amendment that no longer sends a recipient anything tells that recipient', () => {
  // Leo (C2) was first submitted with his sister Mia's NHS number and birth date, so he was matched to her practice
  // (L85901). The force then corrected them: Leo is registered at L85902.
  const whitlock = whitlockIncident();
  const [victim, perpetrator, mia, leo] = whitlock.subjects;
  const wrong = {
    ...whitlock,
    subjects: [victim!, perpetrator!, mia!, { ...leo!, nhsNumber: '9991001034', birthDate: '2016-06-03' }],
  };
  const corrected = structuredClone(whitlock);
  const incidentId = whitlock.incidentId;

  it('a child re-identified at another practice: the first practice gets one verified withdrawal, the second the notification', async () => {
    const first = await postIncident(hub, wrong);
    await decisionsOf(hub, first.receiptId, 5);
    const before = await waitForIncidentItems('gpVictim', 'gp:L85901', incidentId, 3);
    const wrongLeo = before.find(({ payload }) => givenNameOf(payload) === 'Leo');
    expect(wrongLeo, "Leo was first notified to his sister's practice").toBeDefined();
    expect(nhsNumberOf(wrongLeo!.payload)).toBe('9991001034');
    expect(await incidentItems('gpOther', 'gp:L85902', incidentId)).toHaveLength(0);

    const amendment = await postIncident(hub, corrected);
    expect(amendment).toMatchObject({ status: 'accepted', amendsReceiptId: first.receiptId });
    await decisionsOf(hub, amendment.receiptId, 5);

    // L85901: the victim's and Mia's amended notifications, and one withdrawal of Leo's.
    const after = await waitForIncidentItems('gpVictim', 'gp:L85901', incidentId, 6);
    expect(after).toHaveLength(6);
    const withdrawals = after.filter(({ item }) => item.kind === 'da-withdrawal');
    expect(withdrawals).toHaveLength(1);
    const [{ item, payload }] = withdrawals as [(typeof withdrawals)[number]];
    expect(item.amends).toBe(wrongLeo!.item.id);
    expect(payload).toMatchObject({
      kind: 'da-withdrawal',
      notificationId: item.id,
      receiptId: amendment.receiptId,
      recipient: 'gp:L85901',
      withdraws: wrongLeo!.item.id,
      amends: wrongLeo!.item.id,
      incident: { force: 'ASP', incidentId },
      reason: 'identity-changed',
      policyVersion: 'da-2026.12.1',
      markers: { confidential: true },
    });
    expect(payload['request']).toContain(
      `notification ${wrongLeo!.item.id} may have been filed against the wrong patient`,
    );
    // Nothing about anyone: not Leo, not Mia (whose number Leo was filed under), nor anyone else.
    const text = JSON.stringify(payload);
    for (const identifiers of Object.values(WHITLOCK_IDENTIFIERS)) {
      for (const identifier of identifiers) expect(text).not.toContain(identifier);
    }
    expect(text).not.toContain('Whitlock');
    // The others at L85901 are amended as before, not withdrawn.
    const amended = after.filter(
      ({ item: i, payload: p }) => i.kind === 'da-gp-notification' && p['receiptId'] === amendment.receiptId,
    );
    expect(amended.map(({ payload: p }) => givenNameOf(p)).sort()).toEqual(['Mia', 'Sarah']);

    // L85902: Leo's notification, first in its slot.
    const [leoNow, ...more] = await waitForIncidentItems('gpOther', 'gp:L85902', incidentId, 1);
    expect(more).toHaveLength(0);
    expect(leoNow!.item.amends).toBeNull();
    expect(leoNow!.payload).toMatchObject({ kind: 'da-gp-notification', receiptId: amendment.receiptId });
    expect(nhsNumberOf(leoNow!.payload)).toBe('9991001042');

    // The audit says what was withdrawn from whom and why, in the amending receipt's trail.
    await expect
      .poll(async () =>
        (await auditSearch(hub, { receiptId: amendment.receiptId }))
          .filter((event) => event.action === 'notification-withdrawn')
          .map((event) => [event.notificationId, event.recipient, event.subjectRef, event.reason]),
      )
      .toEqual([[wrongLeo!.item.id, 'gp:L85901', 'C2', 'identity-changed']]);
    const routed = (await auditSearch(hub, { receiptId: amendment.receiptId })).filter(
      (event) => event.action === 'notification-routed' && event.notificationId === item.id,
    );
    expect(routed.map((event) => [event.recipient, event.nhsNumber, event.reason])).toEqual([
      ['gp:L85901', null, 'identity-changed'],
    ]);

    // The force sees the withdrawal like any other notification of the amending receipt.
    await expect
      .poll(async () => {
        const response = await hub.call('police', `/v1/domestic-abuse-incidents/${amendment.receiptId}`);
        const body = (await response.json()) as { recipients: { recipient: string; subjectRef: string | null }[] };
        return body.recipients.map((r) => `${r.subjectRef ?? '-'}:${r.recipient}`).sort();
      })
      .toEqual(['-:marac:E06000066', 'C1:gp:L85901', 'C2:gp:L85901', 'C2:gp:L85902', 'P1:gp:L85904', 'V1:gp:L85901']);
  });

  it('resending the amendment doubles nothing: still one withdrawal', async () => {
    const again = await postIncident(hub, structuredClone(corrected));
    expect(again.status).toBe('unchanged');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const items = await incidentItems('gpVictim', 'gp:L85901', incidentId);
    expect(items).toHaveLength(6);
    expect(items.filter(({ item }) => item.kind === 'da-withdrawal')).toHaveLength(1);
    expect(await incidentItems('gpOther', 'gp:L85902', incidentId)).toHaveLength(1);
  });

  it('a share that becomes a withhold is withdrawn once; a later share amends the withdrawal', async () => {
    // Medium risk, no children, consent given: only the victim is shared (DA-VICTIM-MEDIUM).
    const given = whitlockIncident({
      dash: { level: 'medium' },
      childrenPresent: false,
      victimConsent: 'given',
      subjects: [victim!, perpetrator!],
    });
    const id = given.incidentId;
    const first = await postIncident(hub, given);
    await decisionsOf(hub, first.receiptId, 3);
    const [shared] = await waitForIncidentItems('gpVictim', 'gp:L85901', id, 1);
    expect(shared!.payload).toMatchObject({ kind: 'da-gp-notification', rule: 'DA-VICTIM-MEDIUM' });

    // Consent withdrawn: the victim is now withheld, and her practice is told.
    const refused = await postIncident(hub, { ...given, victimConsent: 'refused' });
    await decisionsOf(hub, refused.receiptId, 3);
    const afterRefusal = await waitForIncidentItems('gpVictim', 'gp:L85901', id, 2);
    expect(afterRefusal).toHaveLength(2);
    const withdrawal = afterRefusal[1]!;
    expect(withdrawal.item).toMatchObject({ kind: 'da-withdrawal', amends: shared!.item.id });
    expect(withdrawal.payload).toMatchObject({
      receiptId: refused.receiptId,
      withdraws: shared!.item.id,
      reason: 'no-longer-shared',
    });

    // Another amendment that still does not share: no second withdrawal.
    const notSought = await postIncident(hub, { ...given, victimConsent: 'not-sought' });
    await decisionsOf(hub, notSought.receiptId, 3);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await incidentItems('gpVictim', 'gp:L85901', id)).toHaveLength(2);

    // Consent given again: shared again, amending the withdrawal.
    const againGiven = await postIncident(hub, {
      ...given,
      victimConsent: 'given',
      circumstances: 'Consent given again.',
    });
    await decisionsOf(hub, againGiven.receiptId, 3);
    const last = await waitForIncidentItems('gpVictim', 'gp:L85901', id, 3);
    expect(last).toHaveLength(3);
    expect(last[2]!.item).toMatchObject({ kind: 'da-gp-notification', amends: withdrawal.item.id });
    expect(last[2]!.payload['receiptId']).toBe(againGiven.receiptId);
    expect(await incidentItems('gpPerpetrator', 'gp:L85904', id)).toHaveLength(0);
  });
});
