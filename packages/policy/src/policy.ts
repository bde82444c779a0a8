import {
  DASH_LEVELS,
  DECISION_LIMITS,
  SUBJECT_ROLES,
  VICTIM_CONSENT,
  contentHash,
  type RuleId,
  type SubjectRole,
} from '@hub/contracts';
import type { z } from 'zod';
import type { ConditionFacts } from './conditions.ts';
import { deadlineProblems, type DeadlinePolicy } from './deadlines.ts';
import {
  POLICY_LIMITS,
  policyDocument,
  type ExceptionRule,
  type IncidentRule,
  type LocalAuthorityOverride,
  type PolicyDocument,
  type SubjectRule,
  type ThresholdsDocument,
  type WithdrawalDocument,
} from './document.ts';
import type { Thresholds } from './facts.ts';
import { firstApplicableRule } from './matching.ts';
import {
  EXCEPTION_PLACEHOLDERS,
  REASON_PLACEHOLDERS,
  SUBJECT_PLACEHOLDERS,
  longestRendering,
  templatePlaceholders,
} from './reasons.ts';

/** A loaded, checked policy: deeply frozen, with its rules split by scope in evaluation order. */
export interface Policy {
  readonly version: string;
  /** sha-256 (hex) of the document's canonical JSON: tells two files claiming one version apart. */
  readonly fingerprint: string;
  readonly document: PolicyDocument;
  readonly subjectRules: readonly SubjectRule[];
  readonly incidentRules: readonly IncidentRule[];
  readonly exceptionRule: ExceptionRule;
  /** The wording of `da-withdrawal` notifications; null for a policy without it (`da-2026.11.1`). */
  readonly withdrawal: WithdrawalDocument | null;
  /** Delivery deadlines of the domestic-abuse notification kinds (`deadlinesFor`). */
  readonly deadlines: DeadlinePolicy;
}

export interface PolicyProblem {
  /** Where in the document, e.g. `rules[2].when.any[0].fact`; `(document)` for the whole. */
  readonly path: string;
  readonly message: string;
}

/** A policy that cannot be used, with every problem found (not just the first). */
export class PolicyError extends Error {
  readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[]) {
    const count = problems.length;
    super(
      `Invalid policy (${count} ${count === 1 ? 'problem' : 'problems'}):\n` +
        problems.map((problem) => `  ${problem.path}: ${problem.message}`).join('\n'),
    );
    this.name = 'PolicyError';
    this.problems = problems;
  }
}

type Path = readonly PropertyKey[];

export function formatPath(path: Path): string {
  let text = '';
  for (const token of path) {
    text += typeof token === 'number' ? `[${token}]` : `${text === '' ? '' : '.'}${String(token)}`;
  }
  return text === '' ? '(document)' : text;
}

/** The rule id each scope may use: the meaning of DA-MARAC and DA-EXCEPTION is fixed by the hub. */
function expectedScope(id: RuleId): 'subject' | 'incident' | 'unmatched-share' {
  if (id === 'DA-MARAC') return 'incident';
  if (id === 'DA-EXCEPTION') return 'unmatched-share';
  return 'subject';
}

/**
 * A policy document (an object, or its JSON text) checked against `schema`; every shape problem is reported at once
 * (`PolicyError`). Shared by the domestic-abuse and child-protection policies.
 */
export function parsePolicyDocument<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch {
      throw new PolicyError([{ path: '(document)', message: 'is not valid JSON' }]);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PolicyError(zodProblems(parsed.error));
  return parsed.data;
}

function zodProblems(error: z.ZodError): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
      }
    } else if (issue.code === 'invalid_key') {
      // A record key (a local authority code) that fails its schema: report the key schema's own message.
      problems.push({ path: formatPath(issue.path), message: issue.issues[0]?.message ?? issue.message });
    } else {
      problems.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/** The only placeholder a withdrawal request may hold, and how long what replaces it is (`ntf_` + 32 hex). */
export const WITHDRAWS_PLACEHOLDER = '{withdraws}';
const NOTIFICATION_ID_CHARS = 36;

function withdrawalProblems(withdrawal: WithdrawalDocument | undefined): PolicyProblem[] {
  if (withdrawal === undefined) return [];
  const problems: PolicyProblem[] = [];
  const texts: [Path, string][] = [[['withdrawal', 'request', 'default'], withdrawal.request.default]];
  for (const [reason, text] of Object.entries(withdrawal.request.byReason ?? {})) {
    texts.push([['withdrawal', 'request', 'byReason', reason], text]);
  }
  for (const [path, text] of texts) {
    const unknown = [...text.matchAll(/\{([^}]*)\}/g)].map((m) => m[0]).filter((p) => p !== WITHDRAWS_PLACEHOLDER);
    if (unknown.length > 0) {
      problems.push({
        path: formatPath(path),
        message: `unknown placeholder ${unknown.join(', ')} (only ${WITHDRAWS_PLACEHOLDER})`,
      });
    }
    const uses = text.split(WITHDRAWS_PLACEHOLDER).length - 1;
    const rendered = text.length + uses * (NOTIFICATION_ID_CHARS - WITHDRAWS_PLACEHOLDER.length);
    if (rendered > POLICY_LIMITS.withdrawalRequestChars) {
      problems.push({
        path: formatPath(path),
        message: `renders up to ${rendered} characters (limit ${POLICY_LIMITS.withdrawalRequestChars})`,
      });
    }
  }
  return problems;
}

function thresholdProblems(thresholds: ThresholdsDocument, path: Path): PolicyProblem[] {
  if (thresholds.mediumYesCount < thresholds.highYesCount) return [];
  return [
    {
      path: formatPath([...path, 'mediumYesCount']),
      message: `must be below highYesCount (${thresholds.mediumYesCount} >= ${thresholds.highYesCount})`,
    },
  ];
}

const SCOPE_TEXT = {
  subject: 'a subject rule',
  incident: 'an incident rule',
  'unmatched-share': 'the unmatched-share rule',
} as const;

function ruleProblems(document: PolicyDocument): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const firstIndex = new Map<RuleId, number>();
  document.rules.forEach((rule, index) => {
    const add = (path: Path, message: string) => {
      problems.push({ path: formatPath(['rules', index, ...path]), message });
    };
    const earlier = firstIndex.get(rule.id);
    if (earlier !== undefined) add(['id'], `rule ${rule.id} appears more than once (also rules[${earlier}])`);
    else firstIndex.set(rule.id, index);

    const scope = expectedScope(rule.id);
    if (rule.scope !== scope) add(['scope'], `rule ${rule.id} must have scope "${scope}"`);
    if (new Set(rule.lawfulBasis).size !== rule.lawfulBasis.length) add(['lawfulBasis'], 'repeats a code');

    const templates: [string, string | undefined][] = [['then', rule.reason.then]];
    if (rule.scope !== 'unmatched-share') {
      templates.push(['otherwise', rule.reason.otherwise]);
      if (rule.when === undefined) {
        if (rule.otherwise !== undefined) add(['otherwise'], 'has no effect without "when"; remove it');
        if (rule.reason.otherwise !== undefined) add(['reason', 'otherwise'], 'has no effect without "when"');
      } else {
        if (rule.otherwise === undefined) add([], `rule ${rule.id} has "when", so it needs "otherwise"`);
        if (rule.reason.otherwise === undefined) add(['reason'], `rule ${rule.id} has "when", so it needs "otherwise"`);
      }
      const canShare = rule.then === 'share' || (rule.when !== undefined && rule.otherwise === 'share');
      if (canShare && rule.recipient === 'none')
        add(['recipient'], `rule ${rule.id} can share, so it needs a recipient`);
      if (rule.scope === 'subject') {
        const roles = rule.who.roles ?? [];
        if (new Set(roles).size !== roles.length) add(['who', 'roles'], 'repeats a role');
        if (canShare && rule.recipient === 'subject-practice' && rule.practiceRequest === undefined) {
          add(['practiceRequest'], `rule ${rule.id} can share with a practice, so it needs a practiceRequest`);
        }
      }
    }

    const allowed = REASON_PLACEHOLDERS.filter(
      (name) =>
        (rule.scope === 'unmatched-share' || !EXCEPTION_PLACEHOLDERS.includes(name)) &&
        (rule.scope !== 'incident' || !SUBJECT_PLACEHOLDERS.includes(name)),
    );
    for (const [branch, template] of templates) {
      if (template === undefined) continue;
      const { known, unknown } = templatePlaceholders(template);
      const misplaced = known.filter((name) => !allowed.includes(name));
      if (unknown.length === 0 && longestRendering(template) > DECISION_LIMITS.reasonChars) {
        add(['reason', branch], `can render longer than a decision reason's ${DECISION_LIMITS.reasonChars} characters`);
      }
      for (const name of [...unknown, ...misplaced]) {
        add(
          ['reason', branch],
          `unknown placeholder {${name}} for ${SCOPE_TEXT[rule.scope]} (known: ${allowed.join(', ')})`,
        );
      }
    }
  });
  for (const required of ['DA-MARAC', 'DA-EXCEPTION'] as const) {
    if (!firstIndex.has(required)) {
      problems.push({ path: 'rules', message: `must include rule ${required} (scope "${expectedScope(required)}")` });
    }
  }
  return problems;
}

/** Every feasible subject: a role child is always a child; a high effective risk always meets the MARAC criteria. */
function* feasibleSubjects(): Generator<{ role: SubjectRole; isChild: boolean; facts: ConditionFacts }> {
  for (const role of SUBJECT_ROLES) {
    for (const isChild of [false, true]) {
      if (role === 'child' && !isChild) continue;
      for (const effectiveRisk of DASH_LEVELS) {
        for (const maracCriteriaMet of [false, true]) {
          if (effectiveRisk === 'high' && !maracCriteriaMet) continue;
          for (const consent of VICTIM_CONSENT) {
            for (const involvesChild of [false, true]) {
              if (isChild && !involvesChild) continue;
              yield { role, isChild, facts: { effectiveRisk, maracCriteriaMet, consent, involvesChild } };
            }
          }
        }
      }
    }
  }
}

/**
 * Coverage: every feasible subject (role x child/adult x facts) must be taken by a rule, so each subject gets
 * exactly one decision; and every subject rule must be the first applicable rule for some subject, so no rule is
 * dead (shadowed by earlier ones), which would mean the order is not what its author thought.
 */
function coverageProblems(document: PolicyDocument, subjectRules: readonly SubjectRule[]): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const gaps = new Map<string, { example: ConditionFacts; count: number; total: number }>();
  const used = new Set<SubjectRule>();
  for (const subject of feasibleSubjects()) {
    const group = `${subject.isChild ? 'a child' : 'an adult'} with role "${subject.role}"`;
    const gap = gaps.get(group) ?? { example: subject.facts, count: 0, total: 0 };
    gap.total += 1;
    const rule = firstApplicableRule(subjectRules, subject, subject.facts);
    if (rule === undefined) {
      if (gap.count === 0) gap.example = subject.facts;
      gap.count += 1;
    } else {
      used.add(rule);
    }
    gaps.set(group, gap);
  }
  for (const [group, gap] of gaps) {
    if (gap.count === 0) continue;
    const example = Object.entries(gap.example)
      .map(([fact, value]) => `${fact}=${String(value)}`)
      .join(', ');
    problems.push({
      path: 'rules',
      message:
        `no rule covers ${group} in ${gap.count} of ${gap.total} fact combinations ` +
        `(e.g. ${example}); every subject must get exactly one rule`,
    });
  }
  document.rules.forEach((rule, index) => {
    if (rule.scope === 'subject' && !used.has(rule)) {
      problems.push({
        path: formatPath(['rules', index]),
        message: `rule ${rule.id} never applies: no subject reaches it (earlier rules take them all, or "who" is impossible)`,
      });
    }
  });
  return problems;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Validates a policy document (an object, or its JSON text) and returns it ready for `evaluateIncident`. Throws a
 * `PolicyError` listing every problem: the zod shape (unknown keys, facts, operators, rule ids, lawful bases),
 * then the semantics (rule ids once and in their scope, when/otherwise pairs, sharing rules have a recipient and a
 * practice request, template placeholders, thresholds sane with every local override applied, every subject
 * covered by exactly one rule and no rule dead).
 */
export function loadPolicy(json: unknown): Policy {
  const document = parsePolicyDocument(policyDocument, json);

  const problems = [
    ...thresholdProblems(document.thresholds, ['thresholds']),
    ...ruleProblems(document),
    ...withdrawalProblems(document.withdrawal),
    ...deadlineProblems(document.deadlines, 'domestic-abuse').map(({ path, message }) => ({
      path: formatPath(path),
      message,
    })),
  ];
  for (const [code, override] of Object.entries(document.localAuthorities)) {
    problems.push(
      ...thresholdProblems(mergeThresholds(document.thresholds, override.thresholds), [
        'localAuthorities',
        code,
        'thresholds',
      ]),
    );
  }
  const subjectRules = document.rules.filter((rule): rule is SubjectRule => rule.scope === 'subject');
  const incidentRules = document.rules.filter((rule): rule is IncidentRule => rule.scope === 'incident');
  const exceptionRule = document.rules.find((rule): rule is ExceptionRule => rule.scope === 'unmatched-share');
  if (problems.length === 0) problems.push(...coverageProblems(document, subjectRules));
  if (problems.length > 0 || exceptionRule === undefined) throw new PolicyError(problems);

  return deepFreeze({
    version: document.version,
    fingerprint: contentHash(document),
    document,
    subjectRules,
    incidentRules,
    exceptionRule,
    withdrawal: document.withdrawal ?? null,
    deadlines: { policyVersion: document.version, document: document.deadlines },
  });
}

/** The thresholds for an incident in `localAuthority`: the policy's defaults with that area's overrides applied. */
export function resolveThresholds(policy: Policy, localAuthority: string): Thresholds {
  const override = Object.hasOwn(policy.document.localAuthorities, localAuthority)
    ? policy.document.localAuthorities[localAuthority]
    : undefined;
  return mergeThresholds(policy.document.thresholds, override?.thresholds);
}

function mergeThresholds(
  base: ThresholdsDocument,
  override: LocalAuthorityOverride['thresholds'] | undefined,
): Thresholds {
  return {
    highYesCount: override?.highYesCount ?? base.highYesCount,
    mediumYesCount: override?.mediumYesCount ?? base.mediumYesCount,
    maracRepeatThreshold: override?.maracRepeatThreshold ?? base.maracRepeatThreshold,
    adultAge: override?.adultAge ?? base.adultAge,
  };
}
