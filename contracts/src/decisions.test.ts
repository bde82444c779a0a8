import { describe, expect, it } from 'vitest';
import {
  LAWFUL_BASES,
  LAWFUL_BASIS_CODES,
  RULE_IDS,
  decision,
  decisionSet,
  policyVersion,
  type Decision,
} from './decisions.ts';

const RECEIPT = `rcpt_${'a'.repeat(32)}`;
const facts = {
  role: 'victim',
  isChild: false,
  effectiveRisk: 'medium',
  maracCriteriaMet: false,
  involvesChild: false,
  consent: 'given',
  identityException: null,
} as const;

const share: Decision = {
  decisionId: `dec_${'1'.repeat(32)}`,
  receiptId: RECEIPT,
  rule: 'DA-VICTIM-MEDIUM',
  policyVersion: 'da-2026.11.1',
  subjectRef: 'V1',
  outcome: 'share',
  recipient: 'gp:A81001',
  wouldShareUnder: null,
  reason: 'adult victim, effective risk medium, consent given, no child involved: shared',
  lawfulBasis: ['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18'],
  facts,
};
const marac: Decision = {
  ...share,
  decisionId: `dec_${'2'.repeat(32)}`,
  rule: 'DA-MARAC',
  subjectRef: null,
  outcome: 'withhold',
  recipient: null,
  reason: 'MARAC criteria not met: not referred',
  facts: { ...facts, role: null, isChild: null },
};
const exception: Decision = {
  ...share,
  decisionId: `dec_${'3'.repeat(32)}`,
  subjectRef: 'C1',
  rule: 'DA-EXCEPTION',
  outcome: 'exception',
  recipient: 'exceptions:E06000066',
  wouldShareUnder: 'DA-CHILD',
  reason: 'child would be notified under DA-CHILD but cannot be matched (no-match)',
  facts: { ...facts, role: 'child', isChild: true, involvesChild: true, identityException: 'no-match' },
};

function messages(
  schema: { safeParse: (v: unknown) => { error?: { issues: { path: PropertyKey[]; message: string }[] } } },
  value: unknown,
): string[] {
  return (schema.safeParse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('constants', () => {
  it('has a label for every lawful basis code and a closed list of rule ids', () => {
    expect(Object.keys(LAWFUL_BASES)).toEqual([...LAWFUL_BASIS_CODES]);
    expect(LAWFUL_BASES['uk-gdpr-9-2-g-dpa-sch1-para18']).toContain('Schedule 1 Part 2 paragraph 18');
    expect(LAWFUL_BASES['dpa-part3-sch8-para4']).toContain('Schedule 8 paragraph 4');
    expect(RULE_IDS).toHaveLength(8);
  });

  it.each(['da-2026.11.1', 'da-2027.1.12'])('accepts policy version %s', (value) => {
    expect(policyVersion.safeParse(value).success).toBe(true);
  });
  it.each(['v1', 'da-2026.13.1', 'DA-2026.11.1', 'da-2026.11'])('rejects policy version %s', (value) => {
    expect(policyVersion.safeParse(value).success).toBe(false);
  });
});

describe('decision', () => {
  it.each([share, marac, exception])('accepts a consistent $outcome decision ($rule)', (value) => {
    expect(decision.parse(value)).toEqual(value);
  });

  it('withholds name no recipient, and shares must name one', () => {
    expect(messages(decision, { ...share, outcome: 'withhold' })).toEqual(['recipient: must be null when withheld']);
    expect(messages(decision, { ...share, recipient: null })).toEqual(['recipient: is required when share']);
  });

  it('an exception is DA-EXCEPTION to an exceptions inbox, with the pending rule and the identity reason', () => {
    expect(messages(decision, { ...exception, rule: 'DA-CHILD' })).toEqual([
      'rule: must be DA-EXCEPTION for an exception',
    ]);
    expect(messages(decision, { ...exception, recipient: 'gp:A81001' })).toEqual([
      'recipient: must be an exceptions inbox for an exception',
    ]);
    expect(messages(decision, { ...exception, wouldShareUnder: null })).toEqual([
      'wouldShareUnder: is required for an exception',
    ]);
    expect(messages(decision, { ...share, facts: { ...facts, identityException: 'no-match' } })).toEqual([
      'facts: identityException must be null unless exception',
    ]);
  });

  it('only the MARAC decision is about no subject, and it goes to a MARAC', () => {
    expect(messages(decision, { ...share, subjectRef: null })).toEqual(
      expect.arrayContaining(['subjectRef: must be null exactly for the incident-level DA-MARAC decision']),
    );
    expect(messages(decision, { ...marac, outcome: 'share', recipient: 'gp:A81001' })).toEqual([
      'recipient: must be a MARAC inbox for DA-MARAC',
    ]);
  });

  it('refuses unknown rules and lawful bases, repeats, long reasons and extra fields', () => {
    expect(decision.safeParse({ ...share, rule: 'DA-FOO' }).success).toBe(false);
    expect(decision.safeParse({ ...share, lawfulBasis: ['consent'] }).success).toBe(false);
    expect(decision.safeParse({ ...share, lawfulBasis: [] }).success).toBe(false);
    expect(messages(decision, { ...share, lawfulBasis: ['uk-gdpr-6-1-e', 'uk-gdpr-6-1-e'] })).toEqual([
      'lawfulBasis: must not repeat a code',
    ]);
    expect(decision.safeParse({ ...share, reason: 'x'.repeat(301) }).success).toBe(false);
    expect(decision.safeParse({ ...share, name: 'Alice' }).success).toBe(false);
    expect(decision.safeParse({ ...share, decisionId: `dec_${'1'.repeat(31)}` }).success).toBe(false);
  });

  it('refuses high risk without the MARAC criteria', () => {
    expect(messages(decision, { ...share, facts: { ...facts, effectiveRisk: 'high' } })).toEqual([
      'facts: maracCriteriaMet must be true when the effective risk is high',
    ]);
  });
});

describe('decision set', () => {
  const set = {
    receiptId: RECEIPT,
    policyVersion: 'da-2026.11.1',
    localAuthority: 'E06000066',
    thresholds: { highYesCount: 14, mediumYesCount: 10, maracRepeatThreshold: 3, adultAge: 18 },
    effectiveRisk: 'medium',
    maracCriteriaMet: false,
    decisions: [share, exception, marac],
  };

  it('accepts a consistent set', () => {
    expect(decisionSet.parse(set)).toEqual(set);
  });

  it('needs exactly one MARAC decision', () => {
    expect(messages(decisionSet, { ...set, decisions: [share] })).toEqual([
      'decisions: must hold exactly one DA-MARAC decision',
    ]);
    expect(
      messages(decisionSet, { ...set, decisions: [share, marac, { ...marac, decisionId: `dec_${'4'.repeat(32)}` }] }),
    ).toEqual(['decisions: must hold exactly one DA-MARAC decision']);
  });

  it('refuses decisions that disagree with the set or repeat', () => {
    expect(messages(decisionSet, { ...set, policyVersion: 'da-2026.12.1' })).toEqual([
      'decisions.0: policyVersion differs from the set',
      'decisions.1: policyVersion differs from the set',
      'decisions.2: policyVersion differs from the set',
    ]);
    expect(
      messages(decisionSet, { ...set, decisions: [share, { ...share, decisionId: `dec_${'5'.repeat(32)}` }, marac] }),
    ).toEqual(['decisions.1: a subject has exactly one decision']);
    expect(messages(decisionSet, { ...set, localAuthority: 'E06000023' })).toEqual([
      'decisions.1: an area inbox must be the incident local authority',
    ]);
  });
});
