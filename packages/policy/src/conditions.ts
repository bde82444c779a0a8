import { DASH_LEVELS, VICTIM_CONSENT, type DashLevel, type VictimConsent } from '@hub/contracts';

/**
 * The policy's condition language: small, closed, and evaluated by code (no eval, no expressions). A condition is
 * one of
 *
 *   { "fact": F, "is": v }        the fact equals v
 *   { "fact": F, "in": [v, ...] } the fact equals one of the values
 *   { "all": [c, ...] }           every condition holds (at least one condition)
 *   { "any": [c, ...] }           at least one condition holds (at least one condition)
 *   { "not": c }                  the condition does not hold
 *
 * over the closed set of facts below. Unknown facts, operators, extra keys and impossible values are refused when
 * the policy loads, so a typo can never silently evaluate to false.
 */

export const CONDITION_FACTS = ['effectiveRisk', 'maracCriteriaMet', 'consent', 'involvesChild'] as const;
export type ConditionFact = (typeof CONDITION_FACTS)[number];

/** Every value each fact can take; a condition naming another value is refused. */
export const FACT_DOMAINS = {
  effectiveRisk: DASH_LEVELS,
  maracCriteriaMet: [false, true],
  consent: VICTIM_CONSENT,
  involvesChild: [false, true],
} as const satisfies Record<ConditionFact, readonly (string | boolean)[]>;

/** The facts a condition is evaluated against (incident-level: the same for every subject of the incident). */
export interface ConditionFacts {
  readonly effectiveRisk: DashLevel;
  readonly maracCriteriaMet: boolean;
  readonly consent: VictimConsent;
  readonly involvesChild: boolean;
}

export type FactValue = string | boolean;

export type Condition =
  | { readonly fact: ConditionFact; readonly is: FactValue }
  | { readonly fact: ConditionFact; readonly in: readonly FactValue[] }
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition };

export const CONDITION_LIMITS = { depth: 6, listLength: 10 } as const;

export interface Problem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const SHAPE = 'must be a condition: {fact, is}, {fact, in}, {all: [...]}, {any: [...]} or {not: ...}';
const OPERATORS = ['all', 'any', 'not'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isConditionFact(value: unknown): value is ConditionFact {
  return typeof value === 'string' && (CONDITION_FACTS as readonly string[]).includes(value);
}

function describe(value: unknown): string {
  // JSON.stringify(undefined) is undefined at run time, whatever its declared type says.
  if (value === undefined) return 'nothing';
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

/**
 * Checks and copies one condition. Every problem is pushed with its path (relative to `path`); the result is
 * undefined when there was any problem.
 */
export function parseCondition(
  input: unknown,
  path: readonly (string | number)[],
  problems: Problem[],
  depth = 1,
): Condition | undefined {
  const fail = (message: string, at: readonly (string | number)[] = path): Condition | undefined => {
    problems.push({ path: at, message });
    return undefined;
  };
  if (depth > CONDITION_LIMITS.depth) return fail(`conditions nest at most ${CONDITION_LIMITS.depth} levels deep`);
  if (!isPlainObject(input)) return fail(SHAPE);
  const keys = Object.keys(input);

  if ('fact' in input) {
    const extra = keys.filter((key) => key !== 'fact' && key !== 'is' && key !== 'in');
    if (extra.length > 0) {
      return fail(`unknown operator ${extra.map(describe).join(', ')} (a fact test takes "is" or "in")`);
    }
    const fact = input['fact'];
    if (!isConditionFact(fact)) {
      return fail(`unknown fact ${describe(fact)} (known facts: ${CONDITION_FACTS.join(', ')})`, [...path, 'fact']);
    }
    const domain: readonly FactValue[] = FACT_DOMAINS[fact];
    const valueOk = (value: unknown, at: readonly (string | number)[]): boolean => {
      if (domain.includes(value as FactValue)) return true;
      fail(`${describe(value)} is not a value of ${fact} (one of: ${domain.map(describe).join(', ')})`, at);
      return false;
    };
    const hasIs = 'is' in input;
    const hasIn = 'in' in input;
    if (hasIs === hasIn) return fail('a fact test takes exactly one of "is" or "in"');
    if (hasIs) {
      const value = input['is'];
      return valueOk(value, [...path, 'is']) ? { fact, is: value as FactValue } : undefined;
    }
    const values = input['in'];
    if (!Array.isArray(values) || values.length === 0 || values.length > CONDITION_LIMITS.listLength) {
      return fail(`"in" must be a list of 1 to ${CONDITION_LIMITS.listLength} values`, [...path, 'in']);
    }
    const checked = (values as unknown[]).map((value, index) => valueOk(value, [...path, 'in', index]));
    return checked.every(Boolean) ? { fact, in: [...(values as FactValue[])] } : undefined;
  }

  if (keys.length !== 1) {
    return fail(
      keys.length === 0
        ? SHAPE
        : `a condition has exactly one operator; found ${keys.map(describe).join(', ')} (one of: fact, ${OPERATORS.join(', ')})`,
    );
  }
  const operator = keys[0] as string;
  const operand = input[operator];
  switch (operator) {
    case 'all':
    case 'any': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > CONDITION_LIMITS.listLength) {
        return fail(`"${operator}" must be a list of 1 to ${CONDITION_LIMITS.listLength} conditions`, [
          ...path,
          operator,
        ]);
      }
      const parts = (operand as unknown[]).map((part, index) =>
        parseCondition(part, [...path, operator, index], problems, depth + 1),
      );
      if (!parts.every((part): part is Condition => part !== undefined)) return undefined;
      return operator === 'all' ? { all: parts } : { any: parts };
    }
    case 'not': {
      const inner = parseCondition(operand, [...path, 'not'], problems, depth + 1);
      return inner === undefined ? undefined : { not: inner };
    }
    default:
      return fail(`unknown operator ${describe(operator)} (known: fact with is/in, ${OPERATORS.join(', ')})`);
  }
}

/** Evaluates a condition that `parseCondition` accepted. Total: every shape has exactly one meaning. */
export function evaluateCondition(condition: Condition, facts: ConditionFacts): boolean {
  if ('fact' in condition) {
    const actual = facts[condition.fact];
    return 'is' in condition ? condition.is === actual : condition.in.includes(actual);
  }
  if ('all' in condition) return condition.all.every((part) => evaluateCondition(part, facts));
  if ('any' in condition) return condition.any.some((part) => evaluateCondition(part, facts));
  return !evaluateCondition(condition.not, facts);
}
