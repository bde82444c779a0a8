import { CP_PLAN_CHANGES, CP_PLAN_TYPES, LAWFUL_BASIS_CODES, contentHash, policyVersion } from '@hub/contracts';
import type { CpRuleId, DecisionOutcome, LawfulBasis } from '@hub/contracts';
import { z } from 'zod';
import document from '../policies/child-protection.v3.json' with { type: 'json' };
import { cpDeadlinesSection, deadlineProblems, type DeadlinePolicy } from './deadlines.ts';
import { ageOn } from './facts.ts';
import { PolicyError, deepFreeze, formatPath, parsePolicyDocument, type PolicyProblem } from './policy.ts';

/**
 * The child-protection policy as data (`policies/child-protection.v3.json`): which rule decides each
 * child-protection notification, under which lawful basis, with which reason wording, which SNOMED CT concept a
 * practice is asked to record per plan type, what the practice is asked to do, the child age limit and how long
 * ended plans stay visible, and the delivery deadlines of its notifications. Versioned like the domestic-abuse
 * policy: every decision records the version. `cp-2026.12.2` (v3) is `cp-2026.12.1` (v2) plus the deadlines. v1
 * (`cp-2026.11.1`) and v2 stay beside it to explain past decisions but no longer load: v1 has no wording for a plan
 * shared after it ended, nor the rule that keeps such a plan out of scope; neither has deadlines.
 */

/** The placeholders each rule's reason may use; reasons render from these only, so they never hold personal data. */
export const CP_REASON_PLACEHOLDERS = {
  'CP-GP-PLAN': ['planType', 'change', 'patientIs'],
  'CP-EXCEPTION': ['planType', 'change', 'identityReason'],
  'CP-ACCESS-UNSCHEDULED': ['settingType', 'planCount'],
  'CP-ACCESS-SCHEDULED': [],
  'CP-REFUSED': ['refusalReason'],
  'CP-PLAN-OUT-OF-SCOPE': ['planType', 'visibleMonths'],
} as const satisfies Record<CpRuleId, readonly string[]>;

/** What each rule must decide: the hub fixes the meaning of each rule id, the policy words it. */
const RULE_OUTCOMES = {
  'CP-GP-PLAN': 'share',
  'CP-EXCEPTION': 'exception',
  'CP-ACCESS-UNSCHEDULED': 'share',
  'CP-ACCESS-SCHEDULED': 'withhold',
  'CP-REFUSED': 'share',
  'CP-PLAN-OUT-OF-SCOPE': 'withhold',
} as const satisfies Record<CpRuleId, DecisionOutcome>;

const text = (max: number) => z.string().trim().min(1).max(max);

const concept = z
  .object({
    code: z.string().regex(/^\d{6,18}$/, 'must be a SNOMED CT concept id'),
    display: text(200),
  })
  .strict()
  .nullable();

const ruleBase = {
  lawfulBasis: z.array(z.enum(LAWFUL_BASIS_CODES)).min(1).max(LAWFUL_BASIS_CODES.length),
  reason: text(300),
};

/**
 * What a practice is told a plan version is: its change, except that a first version already carrying an end date
 * is `recorded-after-end` (the practice was never told the plan was current, and must not record it as current).
 */
export const CP_PRACTICE_NOTICES = [...CP_PLAN_CHANGES, 'recorded-after-end'] as const;
export type CpPracticeNotice = (typeof CP_PRACTICE_NOTICES)[number];

const byNotice = z.object(Object.fromEntries(CP_PRACTICE_NOTICES.map((notice) => [notice, text(1_000)]))).strict();

export const childProtectionPolicyDocument = z
  .object({
    policy: z.literal('child-protection'),
    version: policyVersion,
    title: text(200),
    childAgeLimit: z.int().min(1).max(25),
    endedPlanVisibleMonths: z.int().min(0).max(120),
    rules: z
      .object({
        'CP-GP-PLAN': z
          .object({
            then: z.literal(RULE_OUTCOMES['CP-GP-PLAN']),
            ...ruleBase,
            recordConcepts: z.object(Object.fromEntries(CP_PLAN_TYPES.map((type) => [type, concept]))).strict(),
            practiceRequest: z.object(Object.fromEntries(CP_PLAN_TYPES.map((type) => [type, byNotice]))).strict(),
          })
          .strict(),
        'CP-EXCEPTION': z.object({ then: z.literal(RULE_OUTCOMES['CP-EXCEPTION']), ...ruleBase }).strict(),
        'CP-ACCESS-UNSCHEDULED': z
          .object({ then: z.literal(RULE_OUTCOMES['CP-ACCESS-UNSCHEDULED']), ...ruleBase })
          .strict(),
        'CP-ACCESS-SCHEDULED': z
          .object({ then: z.literal(RULE_OUTCOMES['CP-ACCESS-SCHEDULED']), ...ruleBase })
          .strict(),
        'CP-REFUSED': z.object({ then: z.literal(RULE_OUTCOMES['CP-REFUSED']), ...ruleBase }).strict(),
        'CP-PLAN-OUT-OF-SCOPE': z
          .object({ then: z.literal(RULE_OUTCOMES['CP-PLAN-OUT-OF-SCOPE']), ...ruleBase })
          .strict(),
      })
      .strict(),
    /** Delivery deadlines of the child-protection notification kinds (`deadlinesFor`); required, as for domestic abuse. */
    deadlines: cpDeadlinesSection,
  })
  .strict();

export interface ChildProtectionRule {
  readonly then: DecisionOutcome;
  readonly lawfulBasis: readonly LawfulBasis[];
  readonly reason: string;
}

export interface SnomedConceptEntry {
  readonly code: string;
  readonly display: string;
}

export interface ChildProtectionPolicy {
  readonly version: string;
  /** sha-256 of the document's canonical JSON. */
  readonly fingerprint: string;
  readonly childAgeLimit: number;
  readonly endedPlanVisibleMonths: number;
  readonly rules: Readonly<Record<CpRuleId, ChildProtectionRule>>;
  /** Per plan type: the concept the practice records, or null where none is verified. */
  readonly recordConcepts: Readonly<Record<(typeof CP_PLAN_TYPES)[number], SnomedConceptEntry | null>>;
  /** Per plan type and practice notice (CP_PRACTICE_NOTICES): what the practice is asked to do. */
  readonly practiceRequests: Readonly<
    Record<(typeof CP_PLAN_TYPES)[number], Readonly<Record<CpPracticeNotice, string>>>
  >;
  /** Delivery deadlines of the child-protection notification kinds. */
  readonly deadlines: DeadlinePolicy;
}

function placeholderProblems(rules: Readonly<Record<CpRuleId, { reason: string }>>): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const [id, rule] of Object.entries(rules) as [CpRuleId, { reason: string }][]) {
    const allowed: readonly string[] = CP_REASON_PLACEHOLDERS[id];
    for (const match of rule.reason.matchAll(/\{([^}]*)\}/g)) {
      const name = match[1] ?? '';
      if (!allowed.includes(name)) {
        problems.push({
          path: formatPath(['rules', id, 'reason']),
          message: `unknown placeholder {${name}}; this rule may use ${allowed.map((p) => `{${p}}`).join(', ') || 'none'}`,
        });
      }
    }
  }
  return problems;
}

/** Checks and freezes a child-protection policy document; every problem is reported at once (`PolicyError`). */
export function loadChildProtectionPolicy(input: unknown): ChildProtectionPolicy {
  const doc = parsePolicyDocument(childProtectionPolicyDocument, input);
  const problems = [
    ...placeholderProblems(doc.rules),
    ...(Object.entries(doc.rules) as [CpRuleId, { lawfulBasis: string[] }][])
      .filter(([, rule]) => new Set(rule.lawfulBasis).size !== rule.lawfulBasis.length)
      .map(([id]) => ({ path: formatPath(['rules', id, 'lawfulBasis']), message: 'repeats a code' })),
    ...deadlineProblems(doc.deadlines, 'child-protection').map(({ path, message }) => ({
      path: formatPath(path),
      message,
    })),
  ];
  if (problems.length > 0) throw new PolicyError(problems);
  const gp = doc.rules['CP-GP-PLAN'];
  return deepFreeze({
    version: doc.version,
    fingerprint: contentHash(doc),
    childAgeLimit: doc.childAgeLimit,
    endedPlanVisibleMonths: doc.endedPlanVisibleMonths,
    rules: doc.rules,
    recordConcepts: gp.recordConcepts as ChildProtectionPolicy['recordConcepts'],
    practiceRequests: gp.practiceRequest as ChildProtectionPolicy['practiceRequests'],
    deadlines: { policyVersion: doc.version, document: doc.deadlines },
  });
}

let shipped: ChildProtectionPolicy | undefined;

/** The shipped child-protection policy (`policies/child-protection.v3.json`), loaded and checked once. */
export function defaultChildProtectionPolicy(): ChildProtectionPolicy {
  shipped ??= loadChildProtectionPolicy(document);
  return shipped;
}

/** Under the policy's child age limit (18) on `onDate`; both dates `YYYY-MM-DD`. */
export function isUnderChildAgeLimit(policy: ChildProtectionPolicy, birthDate: string, onDate: string): boolean {
  return ageOn(birthDate, onDate) < policy.childAgeLimit;
}

/** `date` minus whole months, as `YYYY-MM-DD`; a day the shorter month lacks becomes its last day (31 May - 3 = 28/29 Feb). */
export function monthsBefore(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const monthIndex = y * 12 + (m - 1) - months;
  const year = Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(Math.min(d, lastDay), 2)}`;
}

/**
 * Whether a plan is in scope on `today` (a look-up's date, or the date a version was recorded): `active` without an end date (or one still to come); `ended` when
 * it ended within the last `endedPlanVisibleMonths` (CP-IS keeps children whose plan ended in the last 12 months in
 * scope); undefined once it ended longer ago.
 */
export function planScope(
  policy: ChildProtectionPolicy,
  plan: { readonly endDate?: string | undefined },
  today: string,
): 'active' | 'ended' | undefined {
  if (plan.endDate === undefined || plan.endDate > today) return 'active';
  return plan.endDate >= monthsBefore(today, policy.endedPlanVisibleMonths) ? 'ended' : undefined;
}
