import { describe, expect, it } from 'vitest';
import { inboxItem, issuedNotification, type IssuedNotification } from './inbox.ts';

const withdrawal: IssuedNotification = {
  notificationId: `ntf_${'1'.repeat(32)}`,
  recipient: 'gp:A81001',
  kind: 'da-withdrawal',
  receiptId: `rcpt_${'a'.repeat(32)}`,
  subjectRef: 'V1',
  amends: `ntf_${'2'.repeat(32)}`,
  issuedAt: '2026-11-23T10:00:00.000Z',
  jws: 'header.payload.signature',
  lineage: { incidentRef: 'ASP:ASP/2026/1', decisionOffset: '41', slotKind: 'da-gp-notification' },
};

function problems(value: unknown): string[] {
  return (issuedNotification.safeParse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe("an issued notification's lineage", () => {
  it('is optional: child-protection notifications and records issued before it have none', () => {
    const { lineage: _lineage, ...without } = withdrawal;
    expect(problems(withdrawal)).toEqual([]);
    expect(problems(without)).toEqual([]);
    expect(problems({ ...without, kind: 'cp-gp-notification', amends: null })).toEqual([]);
  });

  it("names the slot of the notification's own kind, or for a withdrawal the kind it withdraws", () => {
    const share = { ...withdrawal, kind: 'da-marac-referral', amends: null };
    expect(problems({ ...share, lineage: { ...withdrawal.lineage, slotKind: 'da-marac-referral' } })).toEqual([]);
    const wrongKind = "lineage.slotKind: must be the notification's kind (a withdrawal: the kind it withdraws)";
    expect(problems(share)).toEqual([wrongKind]);
    expect(problems({ ...withdrawal, kind: 'cp-gp-notification', amends: null })).toEqual([wrongKind]);
    expect(problems({ ...withdrawal, lineage: { ...withdrawal.lineage, slotKind: 'da-withdrawal' } })).toHaveLength(1);
  });

  it('is checked strictly, every field bounded', () => {
    const lineage = (fields: Record<string, unknown>) =>
      problems({ ...withdrawal, lineage: { ...withdrawal.lineage, ...fields } });
    expect(lineage({ incidentRef: 'ASP/2026/1' })).toEqual(['lineage.incidentRef: must be <force>:<incidentId>']);
    expect(lineage({ incidentRef: `ASP:${'1'.repeat(74)}` })).toHaveLength(2); // too long, and not an incident id
    expect(lineage({ decisionOffset: '041' })).toHaveLength(1);
    expect(lineage({ decisionOffset: '1'.repeat(17) })).toHaveLength(2);
    expect(lineage({ decisionOffset: 41 })).toHaveLength(1);
    expect(lineage({ nhsNumber: '9434765919' })).toHaveLength(1);
  });

  it('is internal: an inbox item, what a recipient is served, has no such field', () => {
    expect(Object.keys(inboxItem.shape)).not.toContain('lineage');
    const served = { id: withdrawal.notificationId, sequence: '7', kind: withdrawal.kind, amends: withdrawal.amends };
    const item = { ...served, issuedAt: withdrawal.issuedAt, status: 'delivered', jws: withdrawal.jws };
    expect(inboxItem.safeParse(item).success).toBe(true);
    expect(inboxItem.safeParse({ ...item, lineage: withdrawal.lineage }).success).toBe(false);
  });
});
