import {
  IDENTITY_EXCEPTION_REASONS,
  decisionSet,
  type DaIncidentSubmission,
  type Decision,
  type DecisionSet,
  type SubjectIdentity,
} from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { defaultDomesticAbusePolicy } from './default.ts';
import { evaluateIncident } from './evaluate.ts';
import { decisionIdFor } from './ids.ts';
import { loadPolicy } from './policy.ts';
import {
  BIRTH_DATES,
  CIRCUMSTANCES,
  OVERRIDE_AREA,
  PEOPLE,
  POSTCODES,
  RECEIPT,
  SOMERSET,
  incidentOf,
  matched,
  policyJson,
  subjectOf,
  submissionOf,
  unmatched,
} from './test-support.ts';

const policy = defaultDomesticAbusePolicy();
const VERSION = 'da-2026.12.1';
const ALL_BASES = ['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18', 'dpa-part3-sch8-para4'];
const { victim, perpetrator, child, other } = PEOPLE;

function evaluate(
  overrides: Partial<DaIncidentSubmission> = {},
  identities: Partial<Record<string, SubjectIdentity>> = {},
): DecisionSet {
  return evaluateIncident(policy, incidentOf(submissionOf(overrides), identities));
}

/** An incident with only adults: a victim and a perpetrator, no children present. */
function adultsOnly(overrides: Partial<DaIncidentSubmission> = {}): Partial<DaIncidentSubmission> {
  return { subjects: [subjectOf('victim'), subjectOf('perpetrator')], childrenPresent: false, ...overrides };
}

function decisionOf(set: DecisionSet, ref: string): Decision {
  const found = set.decisions.filter((d) => d.subjectRef === ref);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function maracOf(set: DecisionSet): Decision {
  const found = set.decisions.filter((d) => d.rule === 'DA-MARAC');
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The decision's rule, outcome, recipient, lawful basis and policy version. */
function summary(d: Decision) {
  return {
    rule: d.rule,
    outcome: d.outcome,
    recipient: d.recipient,
    lawfulBasis: d.lawfulBasis,
    policyVersion: d.policyVersion,
  };
}

const share = (rule: string, recipient: string) => ({
  rule,
  outcome: 'share',
  recipient,
  lawfulBasis: ALL_BASES,
  policyVersion: VERSION,
});
const withhold = (rule: string) => ({
  rule,
  outcome: 'withhold',
  recipient: null,
  lawfulBasis: ALL_BASES,
  policyVersion: VERSION,
});

/** [name, submission overrides, outcome, reason text] */
type Case = [string, Partial<DaIncidentSubmission>, 'share' | 'withhold', string];

describe('the decision set', () => {
  it('has one decision per subject in submission order, then the MARAC decision, and satisfies its contract', () => {
    const set = evaluate({ dash: { level: 'high' } });
    expect(set.decisions.map((d) => [d.subjectRef, d.rule])).toEqual([
      ['V1', 'DA-VICTIM-MARAC'],
      ['P1', 'DA-PERPETRATOR'],
      ['C1', 'DA-CHILD'],
      [null, 'DA-MARAC'],
    ]);
    expect(decisionSet.parse(set)).toEqual(set);
    expect(set).toMatchObject({
      receiptId: RECEIPT,
      policyVersion: VERSION,
      localAuthority: SOMERSET,
      thresholds: { highYesCount: 14, mediumYesCount: 10, maracRepeatThreshold: 3, adultAge: 18 },
      effectiveRisk: 'high',
      maracCriteriaMet: true,
    });
  });

  it('records the facts each decision was made on', () => {
    const set = evaluate(adultsOnly({ victimConsent: 'given' }));
    expect(decisionOf(set, victim.ref).facts).toEqual({
      role: 'victim',
      isChild: false,
      effectiveRisk: 'medium',
      maracCriteriaMet: false,
      involvesChild: false,
      consent: 'given',
      identityException: null,
    });
    expect(maracOf(set).facts).toEqual({
      role: null,
      isChild: null,
      effectiveRisk: 'medium',
      maracCriteriaMet: false,
      involvesChild: false,
      consent: 'given',
      identityException: null,
    });
  });

  it('refuses identities that are not exactly one per subject', () => {
    const incident = incidentOf(submissionOf());
    const without = { ...incident, identities: incident.identities.filter((i) => i.ref !== child.ref) };
    expect(() => evaluateIncident(policy, without)).toThrow('no identity for subject "C1"');
    const twice = { ...incident, identities: [...incident.identities, matched('child')] };
    expect(() => evaluateIncident(policy, twice)).toThrow('more than one identity for subject "C1"');
    const stranger = { ...incident, identities: [...incident.identities, matched('other')] };
    expect(() => evaluateIncident(policy, stranger)).toThrow('identity for "O1", which is not a subject');
  });
});

describe('DA-CHILD: every child, whatever their role, at any risk level', () => {
  it.each(['standard', 'medium', 'high'] as const)('shares a child at %s risk with their practice', (level) => {
    const set = evaluate({ dash: { level }, victimConsent: 'refused' });
    const d = decisionOf(set, child.ref);
    expect(summary(d)).toEqual(share('DA-CHILD', `gp:${child.practice}`));
    expect(d.reason).toBe(
      `child (role child), effective risk ${level}: every child is notified to their practice at any risk level`,
    );
    expect(d.facts.isChild).toBe(true);
  });

  it('takes a victim who is 17 years and 364 days old on the incident date as a child', () => {
    const set = evaluate(adultsOnly({ subjects: [subjectOf('victim', { birthDate: '2008-11-22' })] }));
    const d = decisionOf(set, victim.ref);
    expect(summary(d)).toEqual(share('DA-CHILD', `gp:${victim.practice}`));
    expect(d.reason).toBe(
      'child (role victim), effective risk medium: every child is notified to their practice at any risk level',
    );
  });

  it('takes a victim on their 18th birthday as an adult (medium risk, no consent, no child: withheld)', () => {
    const set = evaluate(adultsOnly({ subjects: [subjectOf('victim', { birthDate: '2008-11-21' })] }));
    const d = decisionOf(set, victim.ref);
    expect(summary(d)).toEqual(withhold('DA-VICTIM-MEDIUM'));
    expect(d.facts).toMatchObject({ isChild: false, involvesChild: false });
  });

  it('measures age on the incident date as written, not in UTC', () => {
    // 00:30 on the 22nd at +01:00 is 23:30 on the 21st UTC; the incident date is the 22nd: the 18th birthday.
    const set = evaluate(
      adultsOnly({
        occurredAt: '2026-11-22T00:30:00+01:00',
        reportedAt: '2026-11-22T01:00:00+01:00',
        subjects: [subjectOf('victim', { birthDate: '2008-11-22' })],
      }),
    );
    expect(decisionOf(set, victim.ref).rule).toBe('DA-VICTIM-MEDIUM');
  });

  it('takes a 16-year-old perpetrator as a child', () => {
    const set = evaluate({ subjects: [subjectOf('perpetrator', { birthDate: '2010-06-01' }), subjectOf('victim')] });
    expect(summary(decisionOf(set, perpetrator.ref))).toEqual(share('DA-CHILD', `gp:${perpetrator.practice}`));
  });

  it('takes role child as a child whatever the birth date', () => {
    const set = evaluate({ subjects: [subjectOf('victim'), subjectOf('child', { birthDate: '1999-01-01' })] });
    expect(summary(decisionOf(set, child.ref))).toEqual(share('DA-CHILD', `gp:${child.practice}`));
  });

  it('lets the policy set the adult age (per area)', () => {
    const document = policyJson();
    document.localAuthorities.E06000023.thresholds = { maracRepeatThreshold: 5, adultAge: 17 } as never;
    const local = loadPolicy(document);
    const seventeen = subjectOf('victim', { birthDate: '2009-06-01' });
    const incident = incidentOf(submissionOf(adultsOnly({ subjects: [seventeen], localAuthority: OVERRIDE_AREA })));
    expect(decisionOf(evaluateIncident(local, incident), victim.ref).rule).toBe('DA-VICTIM-MEDIUM');
    const elsewhere = incidentOf(submissionOf(adultsOnly({ subjects: [seventeen] })));
    expect(decisionOf(evaluateIncident(local, elsewhere), victim.ref).rule).toBe('DA-CHILD');
  });
});

describe('DA-VICTIM-MARAC: an adult victim when the MARAC criteria are met', () => {
  it.each([
    [
      'visible high risk',
      { dash: { level: 'high' } },
      'effective risk high; incidents in the last 12 months: 1, threshold 3',
    ],
    [
      '14 yes answers',
      { dash: { level: 'standard', yesCount: 14 } },
      'effective risk high; incidents in the last 12 months: 1, threshold 3',
    ],
    [
      'professional judgement',
      { dash: { level: 'standard', professionalJudgement: true } },
      'effective risk high; incidents in the last 12 months: 1, threshold 3',
    ],
    [
      '3 incidents in 12 months at medium risk',
      { repeatIncidentsLast12Months: 3 },
      'effective risk medium; incidents in the last 12 months: 3, threshold 3',
    ],
    [
      '3 incidents in 12 months at standard risk',
      { dash: { level: 'standard' }, repeatIncidentsLast12Months: 3 },
      'effective risk standard; incidents in the last 12 months: 3, threshold 3',
    ],
  ] as const)('shares on %s, without consent', (_name, overrides, criteria) => {
    const set = evaluate(adultsOnly({ victimConsent: 'refused', ...overrides }));
    const d = decisionOf(set, victim.ref);
    expect(summary(d)).toEqual(share('DA-VICTIM-MARAC', `gp:${victim.practice}`));
    expect(d.reason).toBe(`adult victim, MARAC criteria met (${criteria}): shared without needing consent`);
  });
});

describe('DA-VICTIM-MEDIUM: an adult victim at medium risk, shared with consent or when a child is involved', () => {
  it.each([
    ['consent given, no child', { victimConsent: 'given' }, 'share', 'consent given, no child involved: shared'],
    [
      'consent refused, children present',
      { victimConsent: 'refused', childrenPresent: true },
      'share',
      'consent refused, child involved: shared',
    ],
    [
      'consent not sought, a child subject',
      { subjects: [subjectOf('victim'), subjectOf('child')] },
      'share',
      'consent not sought, child involved: shared',
    ],
    [
      'consent refused, no child',
      { victimConsent: 'refused' },
      'withhold',
      'consent refused, no child involved: withheld (needs consent or a child involved)',
    ],
    [
      'consent not sought, no child',
      { victimConsent: 'not-sought' },
      'withhold',
      'consent not sought, no child involved: withheld (needs consent or a child involved)',
    ],
    [
      '10 yes answers on a standard level, consent given',
      { dash: { level: 'standard', yesCount: 10 }, victimConsent: 'given' },
      'share',
      'consent given, no child involved: shared',
    ],
    [
      '13 yes answers, no consent, no child',
      { dash: { level: 'standard', yesCount: 13 } },
      'withhold',
      'consent not sought, no child involved: withheld (needs consent or a child involved)',
    ],
  ] satisfies Case[])('%s: %s', (_name, overrides, outcome, reasonTail) => {
    const set = evaluate(adultsOnly(overrides));
    const d = decisionOf(set, victim.ref);
    expect(summary(d)).toEqual(
      outcome === 'share' ? share('DA-VICTIM-MEDIUM', `gp:${victim.practice}`) : withhold('DA-VICTIM-MEDIUM'),
    );
    expect(d.reason).toBe(`adult victim, effective risk medium, ${reasonTail}`);
  });
});

describe('DA-VICTIM-STANDARD: an adult victim at standard risk, shared only with consent', () => {
  it.each([
    [
      'consent given',
      { victimConsent: 'given' },
      'share',
      'adult victim, effective risk standard, consent given: shared with consent',
    ],
    [
      'consent refused',
      { victimConsent: 'refused' },
      'withhold',
      'adult victim, effective risk standard, consent refused, no child involved: withheld (needs consent)',
    ],
    [
      'consent not sought',
      { victimConsent: 'not-sought' },
      'withhold',
      'adult victim, effective risk standard, consent not sought, no child involved: withheld (needs consent)',
    ],
    [
      'consent not sought, children present',
      { victimConsent: 'not-sought', childrenPresent: true },
      'withhold',
      'adult victim, effective risk standard, consent not sought, child involved: withheld (needs consent)',
    ],
    [
      '9 yes answers, consent refused',
      { dash: { level: 'standard', yesCount: 9 }, victimConsent: 'refused' },
      'withhold',
      'adult victim, effective risk standard, consent refused, no child involved: withheld (needs consent)',
    ],
  ] satisfies Case[])('%s: %s', (_name, overrides, outcome, reason) => {
    const set = evaluate(adultsOnly({ dash: { level: 'standard' }, ...overrides }));
    const d = decisionOf(set, victim.ref);
    expect(summary(d)).toEqual(
      outcome === 'share' ? share('DA-VICTIM-STANDARD', `gp:${victim.practice}`) : withhold('DA-VICTIM-STANDARD'),
    );
    expect(d.reason).toBe(reason);
  });
});

describe('DA-PERPETRATOR: an adult perpetrator only when the MARAC criteria are met', () => {
  it('shares at high risk', () => {
    const d = decisionOf(evaluate(adultsOnly({ dash: { level: 'high' } })), perpetrator.ref);
    expect(summary(d)).toEqual(share('DA-PERPETRATOR', `gp:${perpetrator.practice}`));
    expect(d.reason).toBe(
      'adult perpetrator, MARAC criteria met (effective risk high; incidents in the last 12 months: 1, threshold 3): shared',
    );
  });

  it('shares on repeat incidents', () => {
    const d = decisionOf(evaluate(adultsOnly({ repeatIncidentsLast12Months: 3 })), perpetrator.ref);
    expect(summary(d)).toEqual(share('DA-PERPETRATOR', `gp:${perpetrator.practice}`));
  });

  it.each([
    ['medium risk', { dash: { level: 'medium' } }],
    ['medium risk with consent and children present', { victimConsent: 'given', childrenPresent: true }],
    ['13 yes answers and 2 incidents', { dash: { level: 'standard', yesCount: 13 }, repeatIncidentsLast12Months: 2 }],
  ] as const)('withholds at %s', (_name, overrides) => {
    const d = decisionOf(evaluate(adultsOnly(overrides)), perpetrator.ref);
    expect(summary(d)).toEqual(withhold('DA-PERPETRATOR'));
    expect(d.reason).toMatch(/^adult perpetrator, MARAC criteria not met \(effective risk \w+; .*\): withheld$/);
  });
});

describe('DA-OTHER: other adults are never notified, but the withhold is recorded', () => {
  const cases = [
    { dash: { level: 'high' as const }, victimConsent: 'given' as const, childrenPresent: true },
    { dash: { level: 'medium' as const }, victimConsent: 'given' as const, childrenPresent: true },
    { dash: { level: 'standard' as const }, victimConsent: 'given' as const, childrenPresent: false },
    { dash: { level: 'standard' as const }, victimConsent: 'refused' as const, repeatIncidentsLast12Months: 9 },
    { dash: { level: 'medium' as const, professionalJudgement: true }, victimConsent: 'not-sought' as const },
  ];
  it.each(cases)('withholds: %j', (overrides) => {
    const set = evaluate({ subjects: [subjectOf('victim'), subjectOf('other')], ...overrides });
    const d = decisionOf(set, other.ref);
    expect(summary(d)).toEqual(withhold('DA-OTHER'));
    expect(d.reason).toBe('other adult: never notified to their practice');
  });

  it('withholds an unmatched other adult without an exceptions item', () => {
    const set = evaluate(
      { subjects: [subjectOf('victim'), subjectOf('other')], dash: { level: 'high' } },
      { O1: unmatched('other', 'multiple-matches') },
    );
    expect(summary(decisionOf(set, other.ref))).toEqual(withhold('DA-OTHER'));
    expect(set.decisions.filter((d) => d.outcome === 'exception')).toEqual([]);
  });
});

describe('DA-MARAC: one referral to the MARAC of the incident area when the criteria are met', () => {
  it('refers once, to marac:<ONS>, as the last decision', () => {
    const set = evaluate({ dash: { level: 'high' } });
    const d = maracOf(set);
    expect(set.decisions.at(-1)).toBe(d);
    expect(summary(d)).toEqual(share('DA-MARAC', `marac:${SOMERSET}`));
    expect(d.subjectRef).toBeNull();
    expect(d.reason).toBe(
      "MARAC criteria met (effective risk high; incidents in the last 12 months: 1, threshold 3): referred to the area's MARAC",
    );
  });

  it('records not referred when the criteria are not met', () => {
    const d = maracOf(evaluate());
    expect(summary(d)).toEqual(withhold('DA-MARAC'));
    expect(d.reason).toBe(
      'MARAC criteria not met (effective risk medium; incidents in the last 12 months: 1, threshold 3): not referred',
    );
  });

  it.each([
    [SOMERSET, 2, false],
    [SOMERSET, 3, true],
    [SOMERSET, 4, true],
    [SOMERSET, 5, true],
    [OVERRIDE_AREA, 2, false],
    [OVERRIDE_AREA, 3, false],
    [OVERRIDE_AREA, 4, false],
    [OVERRIDE_AREA, 5, true],
  ])('in %s, %s incidents in 12 months at medium risk: referred %s', (area, repeats, referred) => {
    const set = evaluate(adultsOnly({ localAuthority: area, repeatIncidentsLast12Months: repeats }));
    expect(set.thresholds.maracRepeatThreshold).toBe(area === SOMERSET ? 3 : 5);
    expect(set.maracCriteriaMet).toBe(referred);
    expect(summary(maracOf(set))).toEqual(referred ? share('DA-MARAC', `marac:${area}`) : withhold('DA-MARAC'));
    // The victim follows the same criteria: MARAC share, or the medium-risk rule (no consent, no child: withheld).
    expect(summary(decisionOf(set, victim.ref))).toEqual(
      referred ? share('DA-VICTIM-MARAC', `gp:${victim.practice}`) : withhold('DA-VICTIM-MEDIUM'),
    );
  });
});

describe('DA-EXCEPTION: a subject who would be notified but cannot be matched', () => {
  it('goes to the area exceptions inbox instead of a practice, with the reason code', () => {
    const set = evaluate({}, { C1: unmatched('child', 'restricted-record') });
    const d = decisionOf(set, child.ref);
    expect(d).toMatchObject({
      rule: 'DA-EXCEPTION',
      outcome: 'exception',
      recipient: `exceptions:${SOMERSET}`,
      wouldShareUnder: 'DA-CHILD',
      lawfulBasis: ALL_BASES,
      policyVersion: VERSION,
      reason:
        "child subject (role child) would be notified under DA-CHILD but cannot be matched (restricted-record): sent to the area's exceptions inbox",
    });
    expect(d.facts.identityException).toBe('restricted-record');
    expect(set.decisions.some((x) => x.recipient?.startsWith('gp:') === true && x.subjectRef === child.ref)).toBe(
      false,
    );
  });

  it.each(IDENTITY_EXCEPTION_REASONS)('names the reason %s', (reason) => {
    const set = evaluate(adultsOnly({ dash: { level: 'high' } }), { V1: unmatched('victim', reason) });
    const d = decisionOf(set, victim.ref);
    expect(d).toMatchObject({ outcome: 'exception', wouldShareUnder: 'DA-VICTIM-MARAC' });
    expect(d.reason).toBe(
      `adult subject (role victim) would be notified under DA-VICTIM-MARAC but cannot be matched (${reason}): sent to the area's exceptions inbox`,
    );
  });

  it('is not raised for a subject whose decision is withhold: only the withhold is recorded', () => {
    const set = evaluate(adultsOnly({ victimConsent: 'refused' }), {
      V1: unmatched('victim', 'no-match'),
      P1: unmatched('perpetrator', 'no-match'),
    });
    expect(summary(decisionOf(set, victim.ref))).toEqual(withhold('DA-VICTIM-MEDIUM'));
    expect(summary(decisionOf(set, perpetrator.ref))).toEqual(withhold('DA-PERPETRATOR'));
    expect(set.decisions.filter((d) => d.outcome === 'exception' || d.recipient !== null)).toEqual([]);
    expect(set.decisions.every((d) => d.facts.identityException === null)).toBe(true);
  });

  it('raises one per unmatched would-be share, and the MARAC referral still goes', () => {
    const set = evaluate(
      { dash: { level: 'high' } },
      {
        V1: unmatched('victim', 'no-match'),
        P1: unmatched('perpetrator', 'nhs-number-mismatch'),
        C1: unmatched('child', 'no-registered-practice'),
      },
    );
    expect(set.decisions.map((d) => [d.subjectRef, d.rule, d.outcome, d.recipient, d.wouldShareUnder])).toEqual([
      ['V1', 'DA-EXCEPTION', 'exception', `exceptions:${SOMERSET}`, 'DA-VICTIM-MARAC'],
      ['P1', 'DA-EXCEPTION', 'exception', `exceptions:${SOMERSET}`, 'DA-PERPETRATOR'],
      ['C1', 'DA-EXCEPTION', 'exception', `exceptions:${SOMERSET}`, 'DA-CHILD'],
      [null, 'DA-MARAC', 'share', `marac:${SOMERSET}`, null],
    ]);
  });

  it("uses the incident area's inbox", () => {
    const set = evaluate({ localAuthority: OVERRIDE_AREA }, { C1: unmatched('child') });
    expect(decisionOf(set, child.ref).recipient).toBe(`exceptions:${OVERRIDE_AREA}`);
  });
});

describe('ids derived from content', () => {
  it('are the sha-256 of receipt, rule, subject, recipient and policy version', () => {
    const set = evaluate({ dash: { level: 'high' } }, { C1: unmatched('child') });
    for (const d of set.decisions) {
      expect(d.decisionId).toBe(
        decisionIdFor({
          receiptId: RECEIPT,
          rule: d.rule,
          subjectRef: d.subjectRef,
          recipient: d.recipient,
          policyVersion: VERSION,
        }),
      );
    }
    expect(new Set(set.decisions.map((d) => d.decisionId)).size).toBe(set.decisions.length);
  });

  it('are the same for the same input (the whole set is)', () => {
    expect(evaluate({ dash: { level: 'high' } })).toEqual(evaluate({ dash: { level: 'high' } }));
  });

  it('change with the policy version, and nothing else does', () => {
    const document = policyJson();
    document.version = 'da-2026.12.2';
    const next = loadPolicy(document);
    const incident = incidentOf(submissionOf({ dash: { level: 'high' } }));
    const before = evaluateIncident(policy, incident);
    const after = evaluateIncident(next, incident);
    after.decisions.forEach((d, index) => {
      const old = before.decisions[index]!;
      expect(d.decisionId).not.toBe(old.decisionId);
      expect({ ...d, decisionId: '', policyVersion: '' }).toEqual({ ...old, decisionId: '', policyVersion: '' });
      expect(d.policyVersion).toBe('da-2026.12.2');
    });
  });

  it('change with the receipt', () => {
    const incident = incidentOf(submissionOf());
    const other = { ...incident, receiptId: `rcpt_${'f'.repeat(32)}` };
    const a = evaluateIncident(policy, incident).decisions.map((d) => d.decisionId);
    const b = evaluateIncident(policy, other).decisions.map((d) => d.decisionId);
    a.forEach((id, index) => {
      expect(id).not.toBe(b[index]);
    });
  });
});

describe('decisions carry no personal data', () => {
  it('names no one and quotes nothing from the incident', () => {
    const set = evaluate(
      {
        dash: { level: 'high' },
        subjects: [subjectOf('victim'), subjectOf('perpetrator'), subjectOf('child'), subjectOf('other')],
      },
      { C1: unmatched('child') },
    );
    const json = JSON.stringify(set);
    for (const person of Object.values(PEOPLE)) {
      for (const value of [person.nhsNumber, person.given, person.family]) expect(json).not.toContain(value);
    }
    for (const value of [...Object.values(BIRTH_DATES), ...Object.values(POSTCODES), CIRCUMSTANCES, 'Dana Drew']) {
      expect(json).not.toContain(value);
    }
  });
});
