import { describe, expect, it } from 'vitest';
import { contentHash } from '@hub/contracts';
import v1 from '../policies/domestic-abuse.v1.json' with { type: 'json' };
import v2 from '../policies/domestic-abuse.v2.json' with { type: 'json' };
import { defaultDomesticAbusePolicy } from './default.ts';
import { PolicyError, loadPolicy, resolveThresholds } from './policy.ts';
import { OVERRIDE_AREA, SOMERSET, policyJson } from './test-support.ts';

type Json = ReturnType<typeof policyJson>;
type Edit = (document: Json & Record<string, unknown>) => void;

function problemsOf(edit: Edit): string[] {
  const document = policyJson();
  edit(document);
  try {
    loadPolicy(document);
  } catch (error) {
    if (error instanceof PolicyError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('the policy loaded');
}

/** The rule objects of a document, loosely typed, to edit in tests. */
function rules(document: Json): Record<string, unknown>[] {
  const list: unknown[] = document.rules;
  return list as Record<string, unknown>[];
}

function ruleIndex(document: Json, id: string): number {
  const index = rules(document).findIndex((rule) => rule['id'] === id);
  if (index < 0) throw new Error(`no rule ${id}`);
  return index;
}

describe('the shipped policy', () => {
  const policy = defaultDomesticAbusePolicy();

  it('loads, with its version and rules in evaluation order', () => {
    expect(policy.version).toBe('da-2026.12.1');
    expect(policy.subjectRules.map((rule) => rule.id)).toEqual([
      'DA-CHILD',
      'DA-VICTIM-MARAC',
      'DA-VICTIM-MEDIUM',
      'DA-VICTIM-STANDARD',
      'DA-PERPETRATOR',
      'DA-OTHER',
    ]);
    expect(policy.incidentRules.map((rule) => rule.id)).toEqual(['DA-MARAC']);
    expect(policy.exceptionRule.id).toBe('DA-EXCEPTION');
  });

  it('is unchanged for its version: a changed policy must be a new version (and a new file)', () => {
    // If this fails you changed the rules, wording or deadlines of da-2026.12.1. Decisions already record that
    // version, so give the change a new version (policies/domestic-abuse.v4.json, version da-YYYY.M.N) instead.
    expect(policy.fingerprint).toBe('66f58ceede0a3ef1418386fca6ceacf338f41f93f02908c91673aa90b8b8623f');
  });

  it('keeps da-2026.11.1 and da-2026.11.2 unchanged (past decisions stay explainable); they no longer load, having no deadlines', () => {
    expect(contentHash(v1)).toBe('dbbf6feff09379fe6742312cb5d7dfe3ca2c4d168c25b08b6b1cac319cdf9f8a');
    expect(contentHash(v2)).toBe('9b108200d2e8fef9ac0f620df93ebdbe6e52048814115308928e0d12fdd96ec5');
    for (const previous of [v1, v2]) {
      expect(() => loadPolicy(previous)).toThrow('deadlines: Invalid input: expected object, received undefined');
    }
    // v3 is v2 plus the deadlines and nothing else; v2 was v1 plus the withdrawal wording.
    const { version: _version, deadlines, ...rest } = structuredClone(policyJson()) as Json & Record<string, unknown>;
    const { version: _v2Version, ...v2Rest } = v2;
    expect(rest).toEqual(v2Rest);
    expect(deadlines).toBeDefined();
    const { version: _v1Version, ...v1Rest } = v1;
    const { withdrawal: _withdrawal, ...v2WithoutWithdrawal } = v2Rest;
    expect(v2WithoutWithdrawal).toEqual(v1Rest);
  });

  it('has the SafeLives thresholds by default and the example override for E06000023', () => {
    expect(resolveThresholds(policy, SOMERSET)).toEqual({
      highYesCount: 14,
      mediumYesCount: 10,
      maracRepeatThreshold: 3,
      adultAge: 18,
    });
    expect(resolveThresholds(policy, OVERRIDE_AREA)).toEqual({
      highYesCount: 14,
      mediumYesCount: 10,
      maracRepeatThreshold: 5,
      adultAge: 18,
    });
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.document.thresholds)).toBe(true);
    expect(Object.isFrozen(policy.subjectRules[0]!.who)).toBe(true);
    expect(() => {
      (policy.document.thresholds as { highYesCount: number }).highYesCount = 1;
    }).toThrow(TypeError);
  });

  it('loads the same from its JSON text, with the same fingerprint', () => {
    expect(loadPolicy(JSON.stringify(policyJson())).fingerprint).toBe(policy.fingerprint);
  });

  it('changes its fingerprint when anything in it changes, but not when keys are reordered', () => {
    const changed = policyJson();
    changed.thresholds.maracRepeatThreshold = 4;
    expect(loadPolicy(changed).fingerprint).not.toBe(policy.fingerprint);
    const { rules: ruleList, ...rest } = policyJson();
    expect(loadPolicy({ rules: ruleList, ...rest }).fingerprint).toBe(policy.fingerprint);
  });
});

describe('refusing a policy, with every problem and where it is', () => {
  it('withdrawal wording with an unknown placeholder, an unknown reason, or too long once rendered', () => {
    const problems = problemsOf((d) => {
      d.withdrawal.request.default = 'Remove the entry for {patientName} made from {withdraws}.';
      (d.withdrawal.request.byReason as Record<string, string>)['wrong-colour'] = 'Remove it.';
      d.withdrawal.request.byReason['area-changed'] = `${'x'.repeat(980)} {withdraws}`;
    });
    expect(problems).toEqual(['withdrawal.request.byReason.wrong-colour: unknown key']);
    const semantic = problemsOf((d) => {
      d.withdrawal.request.default = 'Remove the entry for {patientName} made from {withdraws}.';
      d.withdrawal.request.byReason['area-changed'] = `${'x'.repeat(980)} {withdraws}`;
    });
    expect(semantic).toEqual([
      'withdrawal.request.default: unknown placeholder {patientName} (only {withdraws})',
      'withdrawal.request.byReason.area-changed: renders up to 1017 characters (limit 1000)',
    ]);
  });

  it('not JSON', () => {
    expect(() => loadPolicy('{ "policy": ')).toThrow(
      new PolicyError([{ path: '(document)', message: 'is not valid JSON' }]),
    );
  });

  it('an unknown fact', () => {
    const problems = problemsOf((d) => {
      rules(d)[ruleIndex(d, 'DA-VICTIM-MEDIUM')]!['appliesWhen'] = { fact: 'riskScore', in: ['medium'] };
    });
    expect(problems).toEqual([
      'rules[2].appliesWhen.fact: unknown fact "riskScore" (known facts: effectiveRisk, maracCriteriaMet, consent, involvesChild)',
    ]);
  });

  it('an unknown operator', () => {
    const problems = problemsOf((d) => {
      rules(d)[ruleIndex(d, 'DA-MARAC')]!['when'] = { fact: 'repeatIncidents', gte: 3 };
    });
    expect(problems).toEqual(['rules[6].when: unknown operator "gte" (a fact test takes "is" or "in")']);
  });

  it('an unknown rule id', () => {
    const problems = problemsOf((d) => {
      rules(d)[ruleIndex(d, 'DA-OTHER')]!['id'] = 'DA-NEIGHBOUR';
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rules\[5\]\.id: unknown rule id "DA-NEIGHBOUR" \(known: DA-CHILD, /);
  });

  it('a subject role no rule covers (other adults)', () => {
    const problems = problemsOf((d) => {
      d.rules.splice(ruleIndex(d, 'DA-OTHER'), 1);
    });
    expect(problems).toEqual([
      'rules: no rule covers an adult with role "other-adult" in 30 of 30 fact combinations (e.g. effectiveRisk=standard, ' +
        'maracCriteriaMet=false, consent=given, involvesChild=false); every subject must get exactly one rule',
    ]);
  });

  it('a gap in one role (standard-risk adult victims) and a role no rule reaches (perpetrators)', () => {
    const problems = problemsOf((d) => {
      d.rules.splice(ruleIndex(d, 'DA-VICTIM-STANDARD'), 1);
      rules(d)[ruleIndex(d, 'DA-PERPETRATOR')]!['who'] = { roles: ['perpetrator'], child: true };
    });
    expect(problems).toEqual([
      'rules: no rule covers an adult with role "victim" in 6 of 30 fact combinations (e.g. effectiveRisk=standard, ' +
        'maracCriteriaMet=false, consent=given, involvesChild=false); every subject must get exactly one rule',
      'rules: no rule covers an adult with role "perpetrator" in 30 of 30 fact combinations (e.g. effectiveRisk=standard, ' +
        'maracCriteriaMet=false, consent=given, involvesChild=false); every subject must get exactly one rule',
      'rules[3]: rule DA-PERPETRATOR never applies: no subject reaches it (earlier rules take them all, or "who" is impossible)',
    ]);
  });

  it('a rule shadowed by an earlier one', () => {
    const problems = problemsOf((d) => {
      rules(d)[ruleIndex(d, 'DA-VICTIM-MEDIUM')]!['appliesWhen'] = {
        fact: 'effectiveRisk',
        in: ['medium', 'standard'],
      };
    });
    expect(problems).toEqual([
      'rules[3]: rule DA-VICTIM-STANDARD never applies: no subject reaches it (earlier rules take them all, or "who" is impossible)',
    ]);
  });

  it('a repeated rule id, a rule in the wrong scope, and a missing required rule', () => {
    const problems = problemsOf((d) => {
      const other = rules(d)[ruleIndex(d, 'DA-OTHER')]!;
      rules(d).push({ ...other });
      d.rules.splice(ruleIndex(d, 'DA-EXCEPTION'), 1);
      rules(d)[ruleIndex(d, 'DA-OTHER')]!['id'] = 'DA-MARAC';
    });
    expect(problems).toEqual([
      'rules[5].scope: rule DA-MARAC must have scope "incident"',
      'rules[6].id: rule DA-MARAC appears more than once (also rules[5])',
      'rules: must include rule DA-EXCEPTION (scope "unmatched-share")',
    ]);
  });

  it('rule structure: when without otherwise, sharing without a recipient or a practice request', () => {
    const problems = problemsOf((d) => {
      const other = rules(d)[ruleIndex(d, 'DA-OTHER')]!;
      other['then'] = 'share';
      const perpetrator = rules(d)[ruleIndex(d, 'DA-PERPETRATOR')]!;
      delete perpetrator['otherwise'];
      delete perpetrator['practiceRequest'];
    });
    expect(problems).toEqual([
      'rules[4]: rule DA-PERPETRATOR has "when", so it needs "otherwise"',
      'rules[4].practiceRequest: rule DA-PERPETRATOR can share with a practice, so it needs a practiceRequest',
      'rules[5].recipient: rule DA-OTHER can share, so it needs a recipient',
    ]);
  });

  it('an unknown or misplaced reason placeholder', () => {
    const problems = problemsOf((d) => {
      (rules(d)[ruleIndex(d, 'DA-OTHER')]!['reason'] as { then: string }).then = 'other adult {name}';
      (rules(d)[ruleIndex(d, 'DA-MARAC')]!['reason'] as { then: string }).then = '{role} referred';
    });
    expect(problems).toEqual([
      'rules[5].reason.then: unknown placeholder {name} for a subject rule (known: role, ageGroup, effectiveRisk, consent, involvesChild, maracCriteriaMet, maracCriteria)',
      'rules[6].reason.then: unknown placeholder {role} for an incident rule (known: effectiveRisk, consent, involvesChild, maracCriteriaMet, maracCriteria)',
    ]);
  });

  it('thresholds that make no sense, by default or after a local override', () => {
    const problems = problemsOf((d) => {
      d.thresholds.mediumYesCount = 14;
      (d.localAuthorities as Record<string, unknown>)['E06000066'] = { thresholds: { highYesCount: 9 } };
    });
    expect(problems).toEqual([
      'thresholds.mediumYesCount: must be below highYesCount (14 >= 14)',
      'localAuthorities.E06000023.thresholds.mediumYesCount: must be below highYesCount (14 >= 14)',
      'localAuthorities.E06000066.thresholds.mediumYesCount: must be below highYesCount (14 >= 9)',
    ]);
  });

  it('out-of-range thresholds, a bad area code, unknown keys, a bad version and an unknown lawful basis, all at once', () => {
    const problems = problemsOf((d) => {
      d.thresholds.adultAge = 12;
      (d.localAuthorities as Record<string, unknown>)['Somerset'] = { thresholds: { maracRepeatThreshold: 4 } };
      d['owner'] = 'someone';
      d.version = 'v1';
      rules(d)[0]!['lawfulBasis'] = ['consent'];
    });
    expect(problems).toEqual([
      'version: must be a policy version such as da-2026.11.1',
      'thresholds.adultAge: Too small: expected number to be >=16',
      'localAuthorities.Somerset: must be a 9-character ONS code such as E06000066',
      'rules[0].lawfulBasis[0]: unknown lawful basis "consent" (known: uk-gdpr-6-1-e, uk-gdpr-9-2-g-dpa-sch1-para18, ' +
        'dpa-part3-sch8-para4)',
      'owner: unknown key',
    ]);
  });

  it('a rule with an unknown scope', () => {
    const problems = problemsOf((d) => {
      rules(d)[0]!['scope'] = 'household';
    });
    expect(problems).toEqual([
      "rules[0].scope: Invalid discriminator value. Expected 'subject' | 'incident' | 'unmatched-share'",
    ]);
  });

  it('lists every problem in the error message, one per line', () => {
    const document = policyJson();
    rules(document)[0]!['when'] = { fact: 'mood', is: 'calm' };
    document.thresholds.maracRepeatThreshold = 0;
    expect(() => loadPolicy(document)).toThrow(
      'Invalid policy (2 problems):\n' +
        '  thresholds.maracRepeatThreshold: Too small: expected number to be >=1\n' +
        '  rules[0].when.fact: unknown fact "mood" (known facts: effectiveRisk, maracCriteriaMet, consent, involvesChild)',
    );
  });
});
