import type { DashLevel } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { ageOn, effectiveRiskOf, incidentDateOf, isChildOn, maracCriteriaOf, riskFromYesCount } from './facts.ts';

const DEFAULTS = { highYesCount: 14, mediumYesCount: 10, maracRepeatThreshold: 3, adultAge: 18 };

describe('DASH yes count', () => {
  it.each([
    [undefined, 'standard'],
    [0, 'standard'],
    [9, 'standard'],
    [10, 'medium'],
    [13, 'medium'],
    [14, 'high'],
    [24, 'high'],
  ] as const)('%s yes answers indicate %s', (yesCount, expected) => {
    expect(riskFromYesCount(yesCount, DEFAULTS)).toBe(expected);
  });

  it('uses the thresholds it is given', () => {
    const local = { ...DEFAULTS, highYesCount: 12, mediumYesCount: 8 };
    expect(riskFromYesCount(7, local)).toBe('standard');
    expect(riskFromYesCount(8, local)).toBe('medium');
    expect(riskFromYesCount(11, local)).toBe('medium');
    expect(riskFromYesCount(12, local)).toBe('high');
  });
});

describe('effective risk: the highest of the level, the count and judgement; never lowered', () => {
  // [level given, yes count, professional judgement, effective risk]
  const table: [DashLevel, number | undefined, boolean | undefined, DashLevel][] = [
    ['standard', undefined, undefined, 'standard'],
    ['standard', 9, undefined, 'standard'],
    ['standard', 10, undefined, 'medium'],
    ['standard', 13, undefined, 'medium'],
    ['standard', 14, undefined, 'high'],
    ['standard', undefined, false, 'standard'],
    ['standard', 13, false, 'medium'],
    ['standard', undefined, true, 'high'],
    ['standard', 9, true, 'high'],
    ['standard', 10, true, 'high'],
    ['standard', 13, true, 'high'],
    ['standard', 14, true, 'high'],
    ['medium', undefined, undefined, 'medium'],
    ['medium', 9, undefined, 'medium'],
    ['medium', 10, undefined, 'medium'],
    ['medium', 13, undefined, 'medium'],
    ['medium', 14, undefined, 'high'],
    ['medium', 0, false, 'medium'],
    ['medium', undefined, true, 'high'],
    ['medium', 9, true, 'high'],
    ['medium', 10, true, 'high'],
    ['medium', 13, true, 'high'],
    ['medium', 14, true, 'high'],
    ['high', undefined, undefined, 'high'],
    ['high', 0, undefined, 'high'],
    ['high', 9, undefined, 'high'],
    ['high', 10, undefined, 'high'],
    ['high', 13, undefined, 'high'],
    ['high', 14, undefined, 'high'],
    ['high', 9, false, 'high'],
    ['high', undefined, false, 'high'],
    ['high', 13, true, 'high'],
  ];
  it.each(table)('level %s, %s yes, judgement %s -> %s', (level, yesCount, professionalJudgement, expected) => {
    const dash = {
      level,
      ...(yesCount === undefined ? {} : { yesCount }),
      ...(professionalJudgement === undefined ? {} : { professionalJudgement }),
    };
    expect(effectiveRiskOf(dash, DEFAULTS)).toBe(expected);
  });
});

describe('MARAC criteria', () => {
  it.each([
    [2, 3, false],
    [3, 3, true],
    [4, 3, true],
    [5, 3, true],
    [2, 5, false],
    [3, 5, false],
    [4, 5, false],
    [5, 5, true],
  ])('%s incidents with threshold %s: met %s (standard risk)', (repeats, threshold, met) => {
    const result = maracCriteriaOf('standard', repeats, { ...DEFAULTS, maracRepeatThreshold: threshold });
    expect(result).toEqual({ met, criteria: met ? ['repeat-incidents'] : [] });
  });

  it('high risk meets them with no repeat incidents; medium does not', () => {
    expect(maracCriteriaOf('high', 0, DEFAULTS)).toEqual({ met: true, criteria: ['high-risk'] });
    expect(maracCriteriaOf('medium', 0, DEFAULTS)).toEqual({ met: false, criteria: [] });
    expect(maracCriteriaOf('high', 3, DEFAULTS)).toEqual({ met: true, criteria: ['high-risk', 'repeat-incidents'] });
  });
});

describe('age and childhood on the incident date', () => {
  it("takes the incident's own calendar date", () => {
    expect(incidentDateOf('2026-11-21T23:59:00-01:00')).toBe('2026-11-21');
    expect(incidentDateOf('2026-11-22T00:10:00+01:00')).toBe('2026-11-22');
  });

  it('counts completed years', () => {
    expect(ageOn('2008-11-22', '2026-11-21')).toBe(17); // 17 years and 364 days
    expect(ageOn('2008-11-21', '2026-11-21')).toBe(18); // the 18th birthday
    expect(ageOn('2008-12-01', '2026-11-21')).toBe(17);
    expect(ageOn('2008-01-01', '2026-11-21')).toBe(18);
    expect(ageOn('2026-11-21', '2026-11-21')).toBe(0);
  });

  it('reaches a 29 February birthday on 1 March in a non-leap year', () => {
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
    expect(ageOn('2008-02-29', '2028-02-29')).toBe(20);
  });

  it('is a child the day before the 18th birthday and an adult on it', () => {
    expect(isChildOn({ role: 'victim', birthDate: '2008-11-22' }, '2026-11-21', 18)).toBe(true);
    expect(isChildOn({ role: 'victim', birthDate: '2008-11-21' }, '2026-11-21', 18)).toBe(false);
  });

  it('is a child whenever the role is child, whatever the birth date', () => {
    expect(isChildOn({ role: 'child', birthDate: '1990-01-01' }, '2026-11-21', 18)).toBe(true);
    expect(isChildOn({ role: 'perpetrator', birthDate: '2010-01-01' }, '2026-11-21', 18)).toBe(true);
    expect(isChildOn({ role: 'other-adult', birthDate: '1990-01-01' }, '2026-11-21', 18)).toBe(false);
  });
});
