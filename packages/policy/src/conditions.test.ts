import { describe, expect, it } from 'vitest';
import { evaluateCondition, parseCondition, type Condition, type ConditionFacts, type Problem } from './conditions.ts';

const FACTS: ConditionFacts = {
  effectiveRisk: 'medium',
  maracCriteriaMet: false,
  consent: 'refused',
  involvesChild: true,
};

function parse(input: unknown): { condition: Condition | undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  return { condition: parseCondition(input, ['when'], problems), problems };
}

function accepted(input: unknown): Condition {
  const { condition, problems } = parse(input);
  expect(problems).toEqual([]);
  return condition!;
}

describe('evaluating conditions', () => {
  it.each([
    [{ fact: 'effectiveRisk', is: 'medium' }, true],
    [{ fact: 'effectiveRisk', is: 'high' }, false],
    [{ fact: 'effectiveRisk', in: ['standard', 'medium'] }, true],
    [{ fact: 'effectiveRisk', in: ['high'] }, false],
    [{ fact: 'maracCriteriaMet', is: false }, true],
    [{ fact: 'consent', is: 'given' }, false],
    [{ fact: 'involvesChild', is: true }, true],
    [
      {
        all: [
          { fact: 'involvesChild', is: true },
          { fact: 'consent', is: 'refused' },
        ],
      },
      true,
    ],
    [
      {
        all: [
          { fact: 'involvesChild', is: true },
          { fact: 'consent', is: 'given' },
        ],
      },
      false,
    ],
    [
      {
        any: [
          { fact: 'consent', is: 'given' },
          { fact: 'involvesChild', is: true },
        ],
      },
      true,
    ],
    [
      {
        any: [
          { fact: 'consent', is: 'given' },
          { fact: 'maracCriteriaMet', is: true },
        ],
      },
      false,
    ],
    [{ not: { fact: 'maracCriteriaMet', is: true } }, true],
    [{ not: { any: [{ fact: 'effectiveRisk', is: 'medium' }] } }, false],
  ])('%j is %s', (input, expected) => {
    expect(evaluateCondition(accepted(input), FACTS)).toBe(expected);
  });

  it('copies what it accepts (later edits to the input change nothing)', () => {
    const input = { fact: 'effectiveRisk', in: ['medium'] };
    const condition = accepted(input);
    input.in.push('high');
    expect(condition).toEqual({ fact: 'effectiveRisk', in: ['medium'] });
  });
});

describe('refusing what the language does not have', () => {
  it.each([
    [
      { fact: 'riskScore', is: 3 },
      'when.fact',
      'unknown fact "riskScore" (known facts: effectiveRisk, maracCriteriaMet, consent, involvesChild)',
    ],
    [{ fact: 'repeatIncidents', gt: 3 }, 'when', 'unknown operator "gt" (a fact test takes "is" or "in")'],
    [{ gt: [1, 2] }, 'when', 'unknown operator "gt" (known: fact with is/in, all, any, not)'],
    [
      { all: [{ fact: 'consent', is: 'given' }], any: [] },
      'when',
      'a condition has exactly one operator; found "all", "any" (one of: fact, all, any, not)',
    ],
    [{ fact: 'consent', is: 'given', in: ['given'] }, 'when', 'a fact test takes exactly one of "is" or "in"'],
    [{ fact: 'consent' }, 'when', 'a fact test takes exactly one of "is" or "in"'],
    [
      { fact: 'effectiveRisk', is: 'extreme' },
      'when.is',
      '"extreme" is not a value of effectiveRisk (one of: "standard", "medium", "high")',
    ],
    [
      { fact: 'maracCriteriaMet', is: 'yes' },
      'when.is',
      '"yes" is not a value of maracCriteriaMet (one of: false, true)',
    ],
    [{ fact: 'effectiveRisk', in: [] }, 'when.in', '"in" must be a list of 1 to 10 values'],
    [{ all: [] }, 'when.all', '"all" must be a list of 1 to 10 conditions'],
    [{ any: 'x' }, 'when.any', '"any" must be a list of 1 to 10 conditions'],
    [{}, 'when', 'must be a condition: {fact, is}, {fact, in}, {all: [...]}, {any: [...]} or {not: ...}'],
    [
      'effectiveRisk == high',
      'when',
      'must be a condition: {fact, is}, {fact, in}, {all: [...]}, {any: [...]} or {not: ...}',
    ],
  ])('%j', (input, path, message) => {
    const { condition, problems } = parse(input);
    expect(condition).toBeUndefined();
    expect(problems.map((p) => ({ path: p.path.join('.'), message: p.message }))).toEqual([{ path, message }]);
  });

  it('finds problems inside nested conditions, each with its path', () => {
    const { condition, problems } = parse({
      any: [
        { fact: 'consent', is: 'given' },
        { not: { fact: 'mood', is: 'calm' } },
        { fact: 'effectiveRisk', in: ['low'] },
      ],
    });
    expect(condition).toBeUndefined();
    expect(problems.map((p) => p.path.join('.'))).toEqual(['when.any.1.not.fact', 'when.any.2.in.0']);
  });

  it('limits nesting depth', () => {
    let deep: unknown = { fact: 'consent', is: 'given' };
    for (let i = 0; i < 5; i++) deep = { not: deep };
    expect(parse(deep).problems).toEqual([]);
    const { problems } = parse({ not: deep });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe('conditions nest at most 6 levels deep');
  });
});
