import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionsOf, openNotification, postIncident, readInbox, waitForInbox, type InboxItem } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

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
