import {
  daNotificationPayload,
  type DaIncidentSubmission,
  type Decision,
  type DecisionSet,
  type SubjectIdentity,
} from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { defaultDomesticAbusePolicy } from './default.ts';
import { evaluateIncident } from './evaluate.ts';
import { notificationIdFor, withdrawalIdFor } from './ids.ts';
import {
  buildExceptionItem,
  buildGpNotification,
  buildMaracReferral,
  buildNotifications,
  buildWithdrawal,
  buildWithdrawals,
  type IncidentContext,
  type IssuedSlot,
} from './payloads.ts';
import { loadPolicy, type Policy } from './policy.ts';
import {
  BIRTH_DATES,
  CIRCUMSTANCES,
  FORCE,
  PEOPLE,
  POSTCODES,
  RECEIPT,
  SOMERSET,
  incidentOf,
  policyJson,
  subjectOf,
  submissionOf,
  unmatched,
} from './test-support.ts';

const policy = defaultDomesticAbusePolicy();
const VERSION = 'da-2026.12.1';
type Who = keyof typeof PEOPLE;
const WHO: readonly Who[] = ['victim', 'perpetrator', 'child', 'other'];
const OFFICER = {
  name: 'PC Dana Drew',
  collarNumber: '4521',
  phone: '01823 000000',
  email: 'dana.drew@example.police.uk',
};
const GP_MARKERS = { confidential: true, containsThirdPartyInformation: true, withholdFromPatientOnlineAccess: true };

interface Scenario {
  incident: IncidentContext;
  set: DecisionSet;
}

/** A high-risk incident (MARAC criteria met) with all four kinds of subject, children present. */
function scenario(
  overrides: Partial<DaIncidentSubmission> = {},
  identities: Partial<Record<string, SubjectIdentity>> = {},
  using: Policy = policy,
): Scenario {
  const incident = incidentOf(
    submissionOf({
      dash: { level: 'high', yesCount: 15 },
      repeatIncidentsLast12Months: 1,
      childrenPresent: true,
      victimConsent: 'refused',
      subjects: WHO.map((who) => subjectOf(who)),
      ...overrides,
    }),
    identities,
  );
  return { incident, set: evaluateIncident(using, incident) };
}

function decisionOf(set: DecisionSet, ref: string | null): Decision {
  return set.decisions.find((d) => d.subjectRef === ref) ?? expect.fail(`no decision for ${String(ref)}`);
}

function practiceText(rule: string, role?: string): string {
  const found = policy.subjectRules.find((r) => r.id === rule)?.practiceRequest;
  if (found === undefined) throw new Error(`no practice request for ${rule}`);
  return (role === undefined ? undefined : found.byRole?.[role as 'perpetrator']) ?? found.default;
}

/** Every identifier of a person that a payload about someone else must not contain. */
function identifiersOf(who: Who): string[] {
  const person = PEOPLE[who];
  return [person.nhsNumber, person.given, person.family, BIRTH_DATES[who], POSTCODES[who], `"${person.ref}"`];
}

describe('GP notification: about one patient only', () => {
  it('for the victim: exactly these fields', () => {
    const { incident, set } = scenario();
    const decision = decisionOf(set, 'V1');
    const payload = buildGpNotification(policy, incident, set, decision);
    expect(payload).toEqual({
      kind: 'da-gp-notification',
      notificationId: notificationIdFor({
        receiptId: RECEIPT,
        recipient: 'gp:A81001',
        subjectRef: 'V1',
        kind: 'da-gp-notification',
        policyVersion: VERSION,
      }),
      receiptId: RECEIPT,
      decisionId: decision.decisionId,
      policyVersion: VERSION,
      amends: null,
      recipient: 'gp:A81001',
      rule: 'DA-VICTIM-MARAC',
      patient: { nhsNumber: PEOPLE.victim.nhsNumber, name: { given: 'Alice', family: 'Ashdown' } },
      role: 'victim',
      incident: { force: FORCE, incidentId: 'ASP/2026/112233', occurredOn: '2026-11-21' },
      effectiveRisk: 'high',
      childrenInvolved: true,
      maracReferralMade: true,
      officer: OFFICER,
      practiceRequest: practiceText('DA-VICTIM-MARAC'),
      markers: GP_MARKERS,
    });
    expect(daNotificationPayload.parse(payload)).toEqual(payload);
  });

  it("for the victim: nobody else's identity, no circumstances, not even the victim's own birth date or address", () => {
    const { incident, set } = scenario();
    const json = JSON.stringify(buildGpNotification(policy, incident, set, decisionOf(set, 'V1')));
    for (const who of ['perpetrator', 'child', 'other'] as const) {
      for (const value of identifiersOf(who)) expect(json).not.toContain(value);
    }
    for (const value of [CIRCUMSTANCES, BIRTH_DATES.victim, POSTCODES.victim, '"yesCount"', '"victimConsent"']) {
      expect(json).not.toContain(value);
    }
  });

  it('for the perpetrator: nothing about the victim or the children beyond the fact of the incident', () => {
    const { incident, set } = scenario();
    const payload = buildGpNotification(policy, incident, set, decisionOf(set, 'P1'));
    expect(payload).toMatchObject({
      recipient: 'gp:B82002',
      rule: 'DA-PERPETRATOR',
      role: 'perpetrator',
      patient: { nhsNumber: PEOPLE.perpetrator.nhsNumber, name: { given: 'Brian', family: 'Barwick' } },
      maracReferralMade: true,
      practiceRequest: practiceText('DA-PERPETRATOR'),
      markers: GP_MARKERS,
    });
    expect(payload).not.toHaveProperty('effectiveRisk');
    expect(payload).not.toHaveProperty('childrenInvolved');
    const json = JSON.stringify(payload);
    for (const who of ['victim', 'child', 'other'] as const) {
      for (const value of identifiersOf(who)) expect(json).not.toContain(value);
    }
    expect(json).not.toContain(CIRCUMSTANCES);
    expect(json).not.toMatch(/victim|child|high/i);
  });

  it('for a child: the child-specific request, with risk and children involved', () => {
    const { incident, set } = scenario();
    const payload = buildGpNotification(policy, incident, set, decisionOf(set, 'C1'));
    expect(payload).toMatchObject({
      recipient: 'gp:A81001',
      rule: 'DA-CHILD',
      role: 'child',
      patient: { nhsNumber: PEOPLE.child.nhsNumber, name: { given: 'Cara', family: 'Brightwell' } },
      effectiveRisk: 'high',
      childrenInvolved: true,
      practiceRequest: practiceText('DA-CHILD'),
    });
    const json = JSON.stringify(payload);
    for (const who of ['victim', 'perpetrator', 'other'] as const) {
      for (const value of identifiersOf(who)) expect(json).not.toContain(value);
    }
  });

  it('for a child perpetrator: the young-person request, and no risk or children fields', () => {
    const { incident, set } = scenario({
      subjects: [subjectOf('perpetrator', { birthDate: '2010-06-01' }), subjectOf('victim')],
    });
    const payload = buildGpNotification(policy, incident, set, decisionOf(set, 'P1'));
    expect(payload.rule).toBe('DA-CHILD');
    expect(payload.practiceRequest).toBe(practiceText('DA-CHILD', 'perpetrator'));
    expect(payload.practiceRequest).not.toBe(practiceText('DA-CHILD'));
    expect(payload).not.toHaveProperty('effectiveRisk');
    expect(payload).not.toHaveProperty('childrenInvolved');
  });

  it('says no MARAC referral was made, and no children involved, when that is so', () => {
    const { incident, set } = scenario({
      dash: { level: 'medium' },
      victimConsent: 'given',
      childrenPresent: false,
      subjects: [subjectOf('victim'), subjectOf('perpetrator')],
    });
    const payload = buildGpNotification(policy, incident, set, decisionOf(set, 'V1'));
    expect(payload).toMatchObject({
      rule: 'DA-VICTIM-MEDIUM',
      effectiveRisk: 'medium',
      childrenInvolved: false,
      maracReferralMade: false,
    });
  });

  it('omits the officer email when there is none, and carries amends', () => {
    const { incident, set } = scenario({
      officer: { name: 'PC Eve Ellis', collarNumber: '77', phone: '01823 111111' },
    });
    const previous = `ntf_${'1'.repeat(32)}`;
    const payload = buildGpNotification(policy, incident, set, decisionOf(set, 'V1'), { amends: previous });
    expect(payload.officer).toEqual({ name: 'PC Eve Ellis', collarNumber: '77', phone: '01823 111111' });
    expect(payload.amends).toBe(previous);
  });

  it('refuses a decision that is not a share with a practice', () => {
    const { incident, set } = scenario({}, { C1: unmatched('child') });
    expect(() => buildGpNotification(policy, incident, set, decisionOf(set, 'O1'))).toThrow(
      'is not a share with a GP practice',
    );
    expect(() => buildGpNotification(policy, incident, set, decisionOf(set, 'C1'))).toThrow(
      'is not a share with a GP practice',
    );
    expect(() => buildGpNotification(policy, incident, set, decisionOf(set, null))).toThrow(
      'is not a share with a GP practice',
    );
  });

  it('refuses decisions made under another policy version or for another receipt', () => {
    const { incident, set } = scenario();
    const document = policyJson();
    document.version = 'da-2026.12.2';
    const next = loadPolicy(document);
    expect(() => buildGpNotification(next, incident, set, decisionOf(set, 'V1'))).toThrow(
      'the decisions were made under policy da-2026.12.1, not da-2026.12.2',
    );
    const elsewhere = { ...incident, receiptId: `rcpt_${'f'.repeat(32)}` };
    expect(() => buildGpNotification(policy, elsewhere, set, decisionOf(set, 'V1'))).toThrow(
      'the decisions are for another receipt',
    );
    const stray = { ...decisionOf(set, 'V1'), decisionId: `dec_${'0'.repeat(32)}` };
    expect(() => buildGpNotification(policy, incident, set, stray)).toThrow('the decision is not in the set');
  });
});

describe('MARAC referral: the whole incident', () => {
  it('has everyone, with identities and practices or the exception reason, the DASH details and circumstances', () => {
    const { incident, set } = scenario(
      { repeatIncidentsLast12Months: 4 },
      { O1: unmatched('other', 'multiple-matches') },
    );
    const decision = decisionOf(set, null);
    const payload = buildMaracReferral(policy, incident, set, decision);
    const referral = (who: Who, isChild: boolean) => ({
      ref: PEOPLE[who].ref,
      role: who === 'other' ? 'other-adult' : who,
      isChild,
      name: { given: PEOPLE[who].given, family: PEOPLE[who].family },
      birthDate: BIRTH_DATES[who],
      postcode: POSTCODES[who],
      submittedNhsNumber: PEOPLE[who].nhsNumber,
      identity:
        who === 'other'
          ? { outcome: 'exception', reason: 'multiple-matches' }
          : {
              outcome: 'matched',
              nhsNumber: PEOPLE[who].nhsNumber,
              practiceOds: PEOPLE[who].practice,
              matchedBy: 'nhs-number',
            },
    });
    expect(payload).toEqual({
      kind: 'da-marac-referral',
      notificationId: notificationIdFor({
        receiptId: RECEIPT,
        recipient: `marac:${SOMERSET}`,
        subjectRef: null,
        kind: 'da-marac-referral',
        policyVersion: VERSION,
      }),
      receiptId: RECEIPT,
      decisionId: decision.decisionId,
      policyVersion: VERSION,
      amends: null,
      recipient: `marac:${SOMERSET}`,
      incident: {
        force: FORCE,
        incidentId: 'ASP/2026/112233',
        occurredAt: '2026-11-21T22:40:00Z',
        reportedAt: '2026-11-21T23:30:00Z',
        localAuthority: SOMERSET,
      },
      dash: { level: 'high', yesCount: 15 },
      effectiveRisk: 'high',
      criteriaMet: ['high-risk', 'repeat-incidents'],
      repeatIncidentsLast12Months: 4,
      maracRepeatThreshold: 3,
      childrenPresent: true,
      victimConsent: 'refused',
      circumstances: CIRCUMSTANCES,
      subjects: [
        referral('victim', false),
        referral('perpetrator', false),
        referral('child', true),
        referral('other', false),
      ],
      officer: OFFICER,
      markers: { confidential: true, containsThirdPartyInformation: true },
    });
    expect(daNotificationPayload.parse(payload)).toEqual(payload);
  });

  it('names the repeat criterion alone when the risk is not high', () => {
    const { incident, set } = scenario({ dash: { level: 'medium' }, repeatIncidentsLast12Months: 3 });
    const payload = buildMaracReferral(policy, incident, set, decisionOf(set, null));
    expect(payload.criteriaMet).toEqual(['repeat-incidents']);
    expect(payload.dash).toEqual({ level: 'medium' });
  });

  it('refuses a MARAC decision that did not refer', () => {
    const { incident, set } = scenario({ dash: { level: 'standard' } });
    expect(() => buildMaracReferral(policy, incident, set, decisionOf(set, null))).toThrow('is not a MARAC referral');
  });
});

describe('exceptions item: only what is needed to trace one person', () => {
  it('has the incident reference, the person as submitted, the reason and the pending rule, and nothing else', () => {
    const { incident, set } = scenario({}, { C1: unmatched('child', 'no-registered-practice') });
    const decision = decisionOf(set, 'C1');
    const payload = buildExceptionItem(policy, incident, set, decision);
    expect(payload).toEqual({
      kind: 'da-exception',
      notificationId: notificationIdFor({
        receiptId: RECEIPT,
        recipient: `exceptions:${SOMERSET}`,
        subjectRef: 'C1',
        kind: 'da-exception',
        policyVersion: VERSION,
      }),
      receiptId: RECEIPT,
      decisionId: decision.decisionId,
      policyVersion: VERSION,
      amends: null,
      recipient: `exceptions:${SOMERSET}`,
      localAuthority: SOMERSET,
      incident: { force: FORCE, incidentId: 'ASP/2026/112233', occurredOn: '2026-11-21' },
      reason: 'no-registered-practice',
      pendingRule: 'DA-CHILD',
      subject: {
        ref: 'C1',
        role: 'child',
        name: { given: 'Cara', family: 'Brightwell' },
        birthDate: BIRTH_DATES.child,
        postcode: POSTCODES.child,
        submittedNhsNumber: PEOPLE.child.nhsNumber,
      },
      markers: { confidential: true },
    });
    const json = JSON.stringify(payload);
    for (const who of ['victim', 'perpetrator', 'other'] as const) {
      for (const value of identifiersOf(who)) expect(json).not.toContain(value);
    }
    for (const value of [CIRCUMSTANCES, 'Dana Drew', '"effectiveRisk"', 'high']) expect(json).not.toContain(value);
  });

  it('leaves out the postcode and NHS number when the police did not give them', () => {
    const bare = subjectOf('victim');
    delete bare.postcode;
    delete bare.nhsNumber;
    const { incident, set } = scenario({ subjects: [bare] }, { V1: unmatched('victim', 'no-match') });
    const payload = buildExceptionItem(policy, incident, set, decisionOf(set, 'V1'));
    expect(payload.subject).toEqual({
      ref: 'V1',
      role: 'victim',
      name: { given: 'Alice', family: 'Ashdown' },
      birthDate: BIRTH_DATES.victim,
    });
    expect(payload.pendingRule).toBe('DA-VICTIM-MARAC');
  });

  it('refuses a decision that is not an exception', () => {
    const { incident, set } = scenario();
    expect(() => buildExceptionItem(policy, incident, set, decisionOf(set, 'V1'))).toThrow(
      'is not an identity exception',
    );
  });
});

describe('all payloads of a decision set', () => {
  it('one per share or exception, in decision order; withholds give nothing', () => {
    const { incident, set } = scenario({}, { C1: unmatched('child') });
    const payloads = buildNotifications(policy, incident, set);
    expect(payloads.map((p) => [p.kind, p.recipient])).toEqual([
      ['da-gp-notification', 'gp:A81001'],
      ['da-gp-notification', 'gp:B82002'],
      ['da-exception', `exceptions:${SOMERSET}`],
      ['da-marac-referral', `marac:${SOMERSET}`],
    ]);
    for (const payload of payloads) expect(daNotificationPayload.parse(payload)).toEqual(payload);
  });

  it('nothing at all when everything is withheld', () => {
    const { incident, set } = scenario({
      dash: { level: 'standard' },
      childrenPresent: false,
      subjects: [subjectOf('victim'), subjectOf('perpetrator'), subjectOf('other')],
    });
    expect(set.decisions.map((d) => d.outcome)).toEqual(['withhold', 'withhold', 'withhold', 'withhold']);
    expect(buildNotifications(policy, incident, set)).toEqual([]);
  });

  it('asks which earlier notification each one amends', () => {
    const { incident, set } = scenario();
    const asked: unknown[] = [];
    const payloads = buildNotifications(policy, incident, set, {
      amendsOf: (target) => {
        asked.push(target);
        return target.subjectRef === 'V1' ? `ntf_${'2'.repeat(32)}` : null;
      },
    });
    expect(asked).toEqual([
      { kind: 'da-gp-notification', recipient: 'gp:A81001', subjectRef: 'V1' },
      { kind: 'da-gp-notification', recipient: 'gp:B82002', subjectRef: 'P1' },
      { kind: 'da-gp-notification', recipient: 'gp:A81001', subjectRef: 'C1' },
      { kind: 'da-marac-referral', recipient: `marac:${SOMERSET}`, subjectRef: null },
    ]);
    expect(payloads.map((p) => p.amends)).toEqual([`ntf_${'2'.repeat(32)}`, null, null, null]);
  });

  it('ids: the same input gives the same payloads; each patient at one practice gets their own', () => {
    const first = scenario();
    const again = scenario();
    const a = buildNotifications(policy, first.incident, first.set);
    expect(buildNotifications(policy, again.incident, again.set)).toEqual(a);
    const ids = a.map((p) => p.notificationId);
    expect(new Set(ids).size).toBe(ids.length);
    // The victim and the child are both registered at A81001: two notifications, two ids.
    expect(a.filter((p) => p.recipient === 'gp:A81001').map((p) => p.kind)).toEqual([
      'da-gp-notification',
      'da-gp-notification',
    ]);
  });

  it('ids: a new policy version gives new ids', () => {
    const document = policyJson();
    document.version = 'da-2027.1.1';
    const next = loadPolicy(document);
    const before = scenario();
    const after = scenario({}, {}, next);
    const a = buildNotifications(policy, before.incident, before.set).map((p) => p.notificationId);
    const b = buildNotifications(next, after.incident, after.set).map((p) => p.notificationId);
    expect(b).toHaveLength(a.length);
    b.forEach((id, index) => {
      expect(id).not.toBe(a[index]);
    });
  });
});

describe('the shipped practice requests', () => {
  it('ask each practice to keep the record hidden from online access', () => {
    for (const rule of policy.subjectRules) {
      const request = rule.practiceRequest;
      if (request === undefined) continue;
      for (const text of [request.default, ...Object.values(request.byRole ?? {})]) {
        expect(text).toContain('confidential third-party information, hidden from patient and proxy online access');
      }
    }
  });

  it('never ask the perpetrator practice to speak to the patient about the allegation', () => {
    expect(practiceText('DA-PERPETRATOR')).toContain(
      'Do not disclose this notification or the allegation to the patient',
    );
  });
});

describe('withdrawals: telling an earlier recipient that an amendment no longer sends them anything', () => {
  const withdrawn = `ntf_${'7'.repeat(32)}`;
  const slot = (recipient: string, subjectRef: string | null, kind: IssuedSlot['kind'] = 'da-gp-notification') => ({
    kind,
    recipient,
    subjectRef,
    notificationId: withdrawn,
  });
  const wording = (reason: string) =>
    (policy.withdrawal?.request.byReason?.[reason as 'no-longer-shared'] ?? '').replaceAll('{withdraws}', withdrawn);

  it('a child re-identified at another practice: the first practice is told, with exactly these fields', () => {
    // The force corrected the child's NHS number: now matched to another practice.
    const { incident, set } = scenario(
      {},
      {
        C1: {
          ref: 'C1',
          outcome: 'matched',
          nhsNumber: PEOPLE.other.nhsNumber,
          practiceOds: 'D84004',
          matchedBy: 'nhs-number',
        },
      },
    );
    const [withdrawal, ...rest] = buildWithdrawals(policy, incident, set, [slot('gp:A81001', 'C1')]);
    expect(rest).toEqual([]);
    expect(withdrawal).toEqual({
      kind: 'da-withdrawal',
      notificationId: withdrawalIdFor({
        receiptId: RECEIPT,
        recipient: 'gp:A81001',
        withdraws: withdrawn,
        policyVersion: VERSION,
      }),
      receiptId: RECEIPT,
      decisionId: decisionOf(set, 'C1').decisionId,
      policyVersion: VERSION,
      amends: withdrawn,
      recipient: 'gp:A81001',
      withdraws: withdrawn,
      incident: { force: FORCE, incidentId: 'ASP/2026/112233' },
      reason: 'identity-changed',
      request: wording('identity-changed'),
      markers: { confidential: true },
    });
    expect(withdrawal!.request).toContain(`notification ${withdrawn} may have been filed against the wrong patient`);
    expect(daNotificationPayload.parse(withdrawal)).toEqual(withdrawal);
  });

  it('carries no personal data: no name, number, birth date, postcode, subject ref, circumstances or officer', () => {
    const { incident, set } = scenario(
      {
        dash: { level: 'standard' },
        childrenPresent: false,
        subjects: [subjectOf('victim'), subjectOf('perpetrator')],
      },
      {},
    );
    const withdrawals = buildWithdrawals(policy, incident, set, [
      slot('gp:A81001', 'V1'),
      slot('gp:B82002', 'P1'),
      slot('gp:A81001', 'C1'),
      slot(`marac:${SOMERSET}`, null, 'da-marac-referral'),
    ]);
    expect(withdrawals).toHaveLength(4);
    const text = JSON.stringify(withdrawals);
    for (const who of WHO) for (const identifier of identifiersOf(who)) expect(text).not.toContain(identifier);
    for (const forbidden of [CIRCUMSTANCES, OFFICER.name, OFFICER.phone, OFFICER.email, OFFICER.collarNumber]) {
      expect(text).not.toContain(forbidden);
    }
  });

  it('a share that became a withhold, and a MARAC referral no longer made: no-longer-shared', () => {
    // Standard risk, consent refused: the victim and perpetrator are withheld and nobody is referred.
    const { incident, set } = scenario({ dash: { level: 'standard' }, childrenPresent: false });
    const withdrawals = buildWithdrawals(policy, incident, set, [
      slot('gp:A81001', 'V1'),
      slot(`marac:${SOMERSET}`, null, 'da-marac-referral'),
    ]);
    expect(withdrawals.map((w) => [w.recipient, w.reason, w.decisionId])).toEqual([
      ['gp:A81001', 'no-longer-shared', decisionOf(set, 'V1').decisionId],
      [`marac:${SOMERSET}`, 'no-longer-shared', decisionOf(set, null).decisionId],
    ]);
    expect(withdrawals[0]!.request).toBe(wording('no-longer-shared'));
  });

  it('a person no longer in the incident: subject-removed, with no decision', () => {
    const { incident, set } = scenario({ subjects: [subjectOf('victim'), subjectOf('perpetrator')] });
    const [withdrawal] = buildWithdrawals(policy, incident, set, [slot('gp:A81001', 'C1')]);
    expect(withdrawal).toMatchObject({ reason: 'subject-removed', decisionId: null, recipient: 'gp:A81001' });
  });

  it('another area now: area-changed; an exceptions item for a person now matched: identity-changed', () => {
    const { incident, set } = scenario();
    const withdrawals = buildWithdrawals(policy, incident, set, [
      slot('marac:E06000023', null, 'da-marac-referral'),
      slot(`exceptions:${SOMERSET}`, 'C1', 'da-exception'),
    ]);
    expect(withdrawals.map((w) => [w.recipient, w.reason])).toEqual([
      ['marac:E06000023', 'area-changed'],
      [`exceptions:${SOMERSET}`, 'identity-changed'],
    ]);
  });

  it('nothing for slots the amended set still fills; ids are stable and differ per withdrawn notification', () => {
    const { incident, set } = scenario();
    const filled = buildNotifications(policy, incident, set).map((p) => ({
      kind: p.kind,
      recipient: p.recipient,
      subjectRef: set.decisions.find((d) => d.decisionId === p.decisionId)!.subjectRef,
      notificationId: `ntf_${'8'.repeat(32)}`,
    }));
    expect(filled).toHaveLength(4);
    expect(buildWithdrawals(policy, incident, set, filled)).toEqual([]);

    const removed = scenario({ subjects: [subjectOf('victim'), subjectOf('perpetrator')] });
    const once = buildWithdrawal(policy, removed.incident, removed.set, slot('gp:A81001', 'C1'));
    expect(buildWithdrawal(policy, removed.incident, removed.set, slot('gp:A81001', 'C1'))).toEqual(once);
    const other = buildWithdrawal(policy, removed.incident, removed.set, {
      ...slot('gp:A81001', 'C1'),
      notificationId: `ntf_${'9'.repeat(32)}`,
    });
    expect(other.notificationId).not.toBe(once.notificationId);
    expect(other.notificationId).not.toBe(
      notificationIdFor({
        receiptId: RECEIPT,
        recipient: 'gp:A81001',
        subjectRef: 'C1',
        kind: 'da-withdrawal',
        policyVersion: VERSION,
      }),
    );
  });

  it('refuses to word a withdrawal under a policy without withdrawal wording (like da-2026.11.1)', () => {
    const { withdrawal: _withdrawal, ...document } = policyJson();
    const previous = loadPolicy({ ...document, version: 'da-2026.11.1' });
    const { incident, set } = scenario({ subjects: [subjectOf('victim'), subjectOf('perpetrator')] }, {}, previous);
    expect(() => buildWithdrawal(previous, incident, set, slot('gp:A81001', 'C1'))).toThrow(
      'cannot build notification: policy da-2026.11.1 has no withdrawal wording',
    );
  });
});
