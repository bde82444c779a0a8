import { describe, expect, it } from 'vitest';
import { NOTIFICATION_KINDS } from './inbox.ts';
import {
  DA_PAYLOAD_KINDS,
  daNotificationPayload,
  daWithdrawal,
  gpDaNotification,
  identityExceptionItem,
  type DaWithdrawal,
  type GpDaNotification,
} from './notifications.ts';

const gp: GpDaNotification = {
  kind: 'da-gp-notification',
  notificationId: `ntf_${'1'.repeat(32)}`,
  receiptId: `rcpt_${'a'.repeat(32)}`,
  decisionId: `dec_${'2'.repeat(32)}`,
  policyVersion: 'da-2026.11.1',
  amends: null,
  recipient: 'gp:A81001',
  rule: 'DA-VICTIM-MARAC',
  patient: { nhsNumber: '9434765919', name: { given: 'Alice', family: 'Ashdown' } },
  role: 'victim',
  incident: { force: 'ASP', incidentId: 'ASP/2026/1', occurredOn: '2026-11-21' },
  effectiveRisk: 'high',
  childrenInvolved: true,
  maracReferralMade: true,
  officer: { name: 'PC Dana Drew', collarNumber: '4521', phone: '01823 000000' },
  practiceRequest: 'Record as confidential third-party information.',
  markers: { confidential: true, containsThirdPartyInformation: true, withholdFromPatientOnlineAccess: true },
};

function messages(value: unknown): string[] {
  return (gpDaNotification.safeParse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('payload kinds', () => {
  it('are the inbox kinds for domestic abuse', () => {
    for (const kind of DA_PAYLOAD_KINDS) expect(NOTIFICATION_KINDS).toContain(kind);
  });
});

describe('GP notification', () => {
  it('accepts a minimised notification, also through the union', () => {
    expect(gpDaNotification.parse(gp)).toEqual(gp);
    expect(daNotificationPayload.parse(gp)).toEqual(gp);
  });

  it('refuses any field it does not name (e.g. circumstances, another person)', () => {
    expect(messages({ ...gp, circumstances: 'x' })).toEqual([': Unrecognized key: "circumstances"']);
    expect(gpDaNotification.safeParse({ ...gp, patient: { ...gp.patient, birthDate: '1990-01-01' } }).success).toBe(
      false,
    );
  });

  it('requires every record marker to be true', () => {
    expect(
      gpDaNotification.safeParse({ ...gp, markers: { ...gp.markers, withholdFromPatientOnlineAccess: false } }).success,
    ).toBe(false);
    expect(
      gpDaNotification.safeParse({ ...gp, markers: { confidential: true, containsThirdPartyInformation: true } })
        .success,
    ).toBe(false);
  });

  it('must not tell a perpetrator practice the risk or about children, and must tell the others', () => {
    expect(messages({ ...gp, role: 'perpetrator' })).toEqual([
      'effectiveRisk: must be omitted for a perpetrator',
      'childrenInvolved: must be omitted for a perpetrator',
    ]);
    const {
      effectiveRisk: _risk,
      childrenInvolved: _children,
      ...perpetrator
    } = { ...gp, role: 'perpetrator' as const };
    expect(messages(perpetrator)).toEqual([]);
    expect(messages({ ...perpetrator, role: 'victim' })).toEqual([
      'effectiveRisk: is required unless the role is perpetrator',
      'childrenInvolved: is required unless the role is perpetrator',
    ]);
  });

  it('goes only to a GP practice inbox', () => {
    expect(gpDaNotification.safeParse({ ...gp, recipient: 'marac:E06000066' }).success).toBe(false);
  });
});

describe('exceptions item', () => {
  const item = {
    kind: 'da-exception',
    notificationId: `ntf_${'3'.repeat(32)}`,
    receiptId: `rcpt_${'a'.repeat(32)}`,
    decisionId: `dec_${'4'.repeat(32)}`,
    policyVersion: 'da-2026.11.1',
    amends: null,
    recipient: 'exceptions:E06000066',
    localAuthority: 'E06000066',
    incident: { force: 'ASP', incidentId: 'ASP/2026/1', occurredOn: '2026-11-21' },
    reason: 'no-match',
    pendingRule: 'DA-CHILD',
    subject: { ref: 'C1', role: 'child', name: { given: 'Cara', family: 'Brightwell' }, birthDate: '2016-05-10' },
    markers: { confidential: true },
  };

  it('accepts the tracing details', () => {
    expect(identityExceptionItem.parse(item)).toEqual(item);
  });

  it('refuses circumstances or risk details', () => {
    expect(identityExceptionItem.safeParse({ ...item, circumstances: 'x' }).success).toBe(false);
    expect(identityExceptionItem.safeParse({ ...item, effectiveRisk: 'high' }).success).toBe(false);
  });
});

describe('withdrawal', () => {
  const withdrawal: DaWithdrawal = {
    kind: 'da-withdrawal',
    notificationId: `ntf_${'3'.repeat(32)}`,
    receiptId: `rcpt_${'b'.repeat(32)}`,
    decisionId: null,
    policyVersion: 'da-2026.11.2',
    amends: `ntf_${'1'.repeat(32)}`,
    recipient: 'gp:A81001',
    withdraws: `ntf_${'1'.repeat(32)}`,
    incident: { force: 'ASP', incidentId: 'ASP/2026/1' },
    reason: 'identity-changed',
    request: 'Remove the entry made from it.',
    markers: { confidential: true },
  };

  it('accepts ids, the incident reference and codes, also through the union', () => {
    expect(daWithdrawal.parse(withdrawal)).toEqual(withdrawal);
    expect(daNotificationPayload.parse(withdrawal)).toEqual(withdrawal);
  });

  it('refuses personal data: a patient, a subject ref, the incident date', () => {
    const problems = (value: unknown) =>
      (daWithdrawal.safeParse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems({ ...withdrawal, patient: gp.patient })).toEqual([': Unrecognized key: "patient"']);
    expect(problems({ ...withdrawal, subjectRef: 'C1' })).toEqual([': Unrecognized key: "subjectRef"']);
    expect(problems({ ...withdrawal, incident: { ...withdrawal.incident, occurredOn: '2026-11-21' } })).toEqual([
      'incident: Unrecognized key: "occurredOn"',
    ]);
  });

  it('amends exactly what it withdraws, goes only to a GP, MARAC or exceptions inbox, with a known reason', () => {
    expect(daWithdrawal.safeParse({ ...withdrawal, amends: `ntf_${'2'.repeat(32)}` }).success).toBe(false);
    expect(daWithdrawal.safeParse({ ...withdrawal, recipient: 'la:E06000066' }).success).toBe(false);
    expect(daWithdrawal.safeParse({ ...withdrawal, recipient: 'marac:E06000066' }).success).toBe(true);
    expect(daWithdrawal.safeParse({ ...withdrawal, reason: 'changed-mind' }).success).toBe(false);
  });
});
